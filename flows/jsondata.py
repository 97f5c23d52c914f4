"""JSON for conversation states, replies and answers: fast, and never worse than the standard.

Every message loads a conversation state, copies it, saves it and writes its replies, so
JSON is a good part of a turn's cost: orjson does it several times faster than the
standard library. Where orjson refuses what `json` accepts (integers past 64 bits, lone
surrogates that odd input can carry, NaN read back), the standard library takes over, so
nothing a person typed ever makes a turn fail. One difference stays: orjson reads an
integer past 64 bits as a float. Answers never hold one (`flows.inputs.numbers` takes at
most 15 digits), and `copy` keeps them exact anyway.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS  # as `json` does: {1: ...} is written {"1": ...}
    # and, as `json` does, refuse what is not JSON rather than write it as a string
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(data: Any) -> str:
    """JSON text for `data` (non-ASCII kept as is)."""
    try:
        return orjson.dumps(data, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(data, ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """The data in JSON text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def copy(data: Any) -> Any:
    """A deep copy of JSON data."""
    try:
        return orjson.loads(orjson.dumps(data, option=_OPTIONS))
    except (TypeError, orjson.JSONDecodeError):
        return json.loads(json.dumps(data))
