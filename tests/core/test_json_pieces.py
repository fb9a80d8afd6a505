"""A large JSON array is read an element at a time (so that an import on one of the window's
threads never holds the interpreter lock for long): the same values as ``json.loads``, and an
error wherever ``json.loads`` has one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestdesk.core.formats import hf_json
from digestdesk.errors import NotADigestError
from tests.core import factories

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=st.lists(JSON, max_size=6), indent=st.sampled_from([None, 0, 2]))
def test_the_same_values_as_json_loads(value: list[Any], indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert hf_json._loads_in_pieces(text) == json.loads(text)
    assert hf_json._loads_in_pieces(f" \n{text}\t\n") == json.loads(text)


@settings(max_examples=300, deadline=None)
@given(
    value=st.lists(JSON, min_size=1, max_size=4),
    cut=st.integers(min_value=0),
    junk=st.sampled_from(["", ",", "]", "[", "x", " ,]", "}", '"']),
)
def test_an_error_wherever_json_loads_has_one(value: list[Any], cut: int, junk: str) -> None:
    text = json.dumps(value)
    broken = text[: cut % (len(text) + 1)] + junk
    try:
        expected = json.loads(broken)
    except json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError):
            hf_json._loads_in_pieces(broken)
    else:
        assert hf_json._loads_in_pieces(broken) == expected


def test_a_large_file_loads_as_a_small_one() -> None:
    data = factories.api_day(30)
    whole = hf_json.load_json(data, "2025-11-20.json")
    assert len(data) < hf_json.PIECES_FROM  # read whole; the same read a piece at a time:
    assert hf_json.load_json(data, "2025-11-20.json", pieces_from=0) == whole
    with pytest.raises(NotADigestError, match="line 3"):
        hf_json.load_json(b'[\n {"a": 1},\n {"b": }\n]', "x.json", pieces_from=0)
