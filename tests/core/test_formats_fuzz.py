"""Fuzzing the parsers: any input yields a ParseResult or a DigestDeskError, nothing else."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestdesk.core import formats
from digestdesk.core.drafts import ParseResult
from digestdesk.errors import DigestDeskError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = date(2025, 11, 20)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _survives(call: object) -> None:
    assert callable(call)
    try:
        result = call()
    except DigestDeskError as error:
        assert error.user_message
    else:
        assert isinstance(result, ParseResult)
        for entry in result.entries:
            assert isinstance(entry.title, str) and entry.title.strip()


def _mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed with a slice replaced by random bytes: inputs close to the real thing."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        start = draw(st.integers(0, len(seed)))
        end = draw(st.integers(start, min(len(seed), start + 64)))
        return seed[:start] + draw(st.binary(max_size=32)) + seed[end:]

    return mutate()


_SEEDS = [
    (FIXTURES / name).read_bytes()
    for name in (
        "hf_page_small.txt",
        "hf_daily_small.json",
        "arxiv_small.xml",
        "digestdesk_small.json",
    )
]
_inputs = (
    st.binary(max_size=400)
    | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.sampled_from(_SEEDS).flatmap(_mutations)
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "paper",
                    "id",
                    "title",
                    "summary",
                    "authors",
                    "upvotes",
                    "publishedAt",
                    "name",
                    "githubRepo",
                    "projectPage",
                    "organization",
                    "numComments",
                    "ai_keywords",
                    "submittedOnDailyAt",
                    "format",
                    "version",
                    "entries",
                    "digests",
                    "links",
                    "status",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("module", formats.FORMATS, ids=lambda m: m.NAME)
@FUZZ
@given(data=_inputs)
def test_each_parser_survives_any_bytes(module: ModuleType, data: bytes) -> None:
    assert 0 <= module.sniff(data, None) <= 100
    _survives(lambda: module.parse(data, name="fuzz", as_of=TODAY, today=TODAY))


@FUZZ
@given(data=_inputs, name=st.none() | st.text(max_size=20))
def test_registry_survives_any_bytes(data: bytes, name: str | None) -> None:
    _survives(lambda: formats.parse(data, name=name, as_of=TODAY, today=TODAY))


@FUZZ
@given(value=_json_values)
def test_json_parsers_survive_any_json(value: object) -> None:
    data = json.dumps(value).encode()
    for module in (formats.hf_json, formats.digestdesk_json):
        _survives(lambda m=module: m.parse(data, name=None, as_of=TODAY, today=TODAY))
    export = json.dumps(
        {"format": "digestdesk", "version": 1, "entries": [value], "digests": [value]}
    ).encode()
    _survives(lambda: formats.parse(export, today=TODAY))


@FUZZ
@given(text=st.text(max_size=300))
def test_page_parser_survives_text_around_anchors(text: str) -> None:
    page = f"{text}\n\u2022 3 authors\n\u00b7\nFeb 29\n{text}\n1 authors\nMar 4 2\n{text}"
    _survives(
        lambda: formats.hf_page.parse(
            page.encode("utf-8", "surrogatepass"), name=None, as_of=TODAY, today=TODAY
        )
    )
