"""The JSON of states and replies: orjson's speed, the standard library's leniency."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from flows import jsondata


def test_round_trip_keeps_arabic_as_text() -> None:
    text = jsondata.dumps({"raw": "تعهد ٢٠٢٥"})
    assert "تعهد" in text
    assert jsondata.loads(text) == {"raw": "تعهد ٢٠٢٥"}


def test_keys_that_are_not_strings_are_written_as_json_writes_them() -> None:
    data = {1: "a", 2.5: "b", None: "c"}
    assert jsondata.loads(jsondata.dumps(data)) == json.loads(json.dumps(data))


@pytest.mark.parametrize(
    "value",
    [10**30, "\ud800 lone surrogate", {"n": -(2**70)}],
    ids=["big int", "lone surrogate", "nested big int"],
)
def test_what_orjson_refuses_to_write_goes_through_the_standard_library(value: object) -> None:
    assert json.loads(jsondata.dumps(value)) == value
    assert jsondata.copy({"v": value}) == {"v": value}


def test_a_lone_surrogate_reads_back() -> None:
    assert jsondata.loads(jsondata.dumps("\ud800")) == "\ud800"


def test_text_only_the_standard_library_reads_is_read() -> None:
    assert jsondata.loads('{"v": NaN}')["v"] != jsondata.loads('{"v": NaN}')["v"]


def test_a_date_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError):
        jsondata.dumps({"at": datetime(2025, 6, 20, tzinfo=UTC)})


def test_copy_is_deep() -> None:
    state = {"answers": {"q": {"v": [1, 2]}}}
    copied = jsondata.copy(state)
    copied["answers"]["q"]["v"].append(3)
    assert state == {"answers": {"q": {"v": [1, 2]}}}
