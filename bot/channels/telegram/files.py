"""Where files sent by focal points on Telegram are kept: `<files_dir>/telegram/<file id>/<name>`.

The stored answer keeps Telegram's file id as its reference, so the file on disk is found
from the answer alone (and can be fetched again from Telegram with that id).
"""

from __future__ import annotations

import re
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def stored_path(files_dir: Path, file_id: str, name: str) -> Path:
    """The path of a received file; names are reduced to safe characters."""
    folder = re.sub(r"[^A-Za-z0-9_-]", "_", file_id)[:128] or "file"
    safe = _UNSAFE.sub("_", Path(name).name).strip(" .") or "file"
    return files_dir / "telegram" / folder / safe[:120]


def megabytes(size: int) -> float:
    """A byte count in MB, rounded for people (20971520 -> 20.0)."""
    return round(size / 1_048_576, 1)
