"""BibTeX export: read cleanly by two BibTeX parsers, compiled by LaTeX where it is installed.

The parsers (bibtexparser and pybtex) are test dependencies; the LaTeX compile runs where
``pdflatex`` and ``bibtex`` are on the PATH (Debian's texlive-latex-base) and is skipped
otherwise. The whole shared sample set (1,627 papers) goes through both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestdesk.core import bibtex, export
from digestdesk.core.drafts import EntryDraft, Link, ParseResult, UserState
from digestdesk.core.library import Library
from digestdesk.core.text import clean_text
from digestdesk.paths import resolve_library
from tests.conftest import SHARED_SAMPLES

bibtexparser = pytest.importorskip("bibtexparser", reason="bibtexparser is a test dependency")
pybtex_database = pytest.importorskip("pybtex.database", reason="pybtex is a test dependency")
from bibtexparser.middlewares import LatexDecodingMiddleware  # noqa: E402

HOSTILE_TITLES = [
    "}{ closes the field early",
    "Unbalanced { brace and \\ backslash",
    "100% of $x$ for #1 & a_b ~ ^ done",
    "T^2PO and UFO^3: caret titles",
    "\\end{document} \\input{/etc/passwd}",
    "@misc{injected, title = {x}}",
    "Quote \" and ' and ` marks",
    "Über naïve Łukasz α-β ≤ γ — “quoted” ﬁne ² ％ 😀 ✨ ∀",
    "{\\'e} already {LaTeX}",
]


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _parse_both(text: str, *, decode: bool = True) -> tuple[object, object]:
    middleware = [LatexDecodingMiddleware()] if decode else []
    parsed = bibtexparser.parse_string(text, append_middleware=middleware)
    assert parsed.failed_blocks == []
    assert not [b for b in parsed.blocks if type(b).__name__ == "DuplicateBlockKeyBlock"]
    return parsed, pybtex_database.parse_string(text, "bibtex")


# --------------------------------------------------------------------------- escaping
@given(st.text(max_size=60))
@settings(max_examples=400)
def test_any_text_escapes_to_balanced_latex_without_bare_specials(text: str) -> None:
    for escaped in (bibtex.tex(text), bibtex.title_field(text)):
        assert _balanced(escaped), escaped
        bare = re.sub(r"\\[A-Za-z]+|\\.", "", escaped)  # what commands leave
        assert not set(bare) & set("\\%$#&_^~"), escaped


def test_special_characters_become_commands_never_an_escaped_brace() -> None:
    assert bibtex.tex("a}{b") == r"a\textbraceright{}\textbraceleft{}b"
    assert bibtex.tex("x^2 \\") == r"x\textasciicircum{}2 \textbackslash{}"
    # A TeX tie between words is a space (clean_text); a tilde in a URL is kept, escaped.
    assert bibtex.tex("a~b at https://a.org/~u") == r"a b at https://a.org/\textasciitilde{}u"
    assert bibtex.tex("100% $5 #1 & a_b") == r"100\% \$5 \#1 \& a\_b"
    assert (
        bibtex.tex("Ahmet Üstün, Łukasz, naïve")
        == r"Ahmet {\"U}st{\"u}n, {\L{}}ukasz, na{\"\i{}}ve"
    )
    assert bibtex.tex("α ≤ β") == r"\ensuremath{\alpha} \ensuremath{\leq} \ensuremath{\beta}"
    assert "\\}" not in bibtex.tex("}}}") and "\\{" not in bibtex.tex("{{{")


def test_title_words_whose_case_matters_are_protected() -> None:
    field = bibtex.title_field("Your LLM is a T^2PO of DeepSeek-V3 and I: a Study in 3D")
    assert field == (
        r"Your {LLM} is a {T\textasciicircum{}2PO} of {DeepSeek-V3} and {I:} a Study in {3D}"
    )
    # A group starting with a command would be a BibTeX "special character": doubled braces.
    assert bibtex.title_field("ÉCOLE \\LaTeX") == r"{{\'E}COLE} {{\textbackslash{}LaTeX}}"


# ------------------------------------------------------------------------------ keys
def _draft(title: str, arxiv_id: str | None, *authors: str, year: int = 2025) -> EntryDraft:
    return EntryDraft(
        title=title, arxiv_id=arxiv_id, authors=list(authors), published=date(year, 3, 1)
    )


def test_keys_are_surname_year_word_and_never_depend_on_order() -> None:
    drafts = [
        _draft("The Attention Is All You Need", "1706.03762", "Ashish Vaswani", year=2017),
        _draft("Scaling Laws", "2505.14302", "Wei Chen"),
        _draft("Scaling Laws Again", "2507.07966", "Li Chen"),
        _draft("K-EXAONE Report", "2601.01739", "Ahmet Üstün"),
        _draft("Sparse Lattice Attention for Long Context", None),
    ]
    keys = bibtex.citation_keys(drafts, drafts)
    assert keys == [
        "vaswani2017attention",
        "chen2025scaling-2505.14302",
        "chen2025scaling-2507.07966",
        "ustun2025kexaone",
        "sparselatticeattention2025",
    ]
    reordered = list(reversed(drafts))
    assert bibtex.citation_keys(reordered, drafts) == list(reversed(keys))
    # A one-paper export gives the key the library gives it, not the bare base key.
    assert bibtex.citation_keys(drafts[2:3], drafts) == ["chen2025scaling-2507.07966"]


def test_a_query_export_gives_the_same_keys_as_the_full_export(library: Library) -> None:
    drafts = [
        _draft("Scaling Laws for Sparse Models", "2505.14302", "Wei Chen"),
        _draft("Scaling Laws for Dense Models", "2507.07966", "Li Chen"),
        _draft("Grokked Transformers", "2405.15071", "Boshi Wang"),
    ]
    library.import_parsed(ParseResult("hf-json", drafts), source="three.json")
    full = dict(_keys_and_eprints(export.export_text(library, "bibtex")))
    ids = library.search("dense").ids
    assert len(ids) == 1
    query = dict(_keys_and_eprints(export.export_text(library, "bibtex", ids=ids)))
    assert query == {"2507.07966": full["2507.07966"]} and full["2507.07966"].endswith("07966")
    assert full["2405.15071"] == "wang2025grokked"


def _keys_and_eprints(text: str) -> Iterator[tuple[str, str]]:
    for key, eprint in re.findall(r"@misc\{([^,]+),.*?eprint = \{([^}]+)\}", text, re.S):
        yield eprint, key


# ---------------------------------------------------------------------------- fields
def test_an_arxiv_entry_has_eprint_class_doi_and_url() -> None:
    draft = EntryDraft(
        title="Mixture of LLM Experts",
        arxiv_id="2503.10004",
        authors=["Ada Lovelace", "Research and Development Team"],
        categories=["cs.LG", "cs.CL"],
        published=date(2025, 3, 13),
        user_state=UserState(tags=["to_read", "ml&ai"]),
    )
    text = bibtex.to_bibtex([draft])
    parsed, pyb = _parse_both(text)
    fields = parsed.entries[0].fields_dict  # type: ignore[attr-defined]
    values = {name: field.value for name, field in fields.items()}
    assert values["eprint"] == "2503.10004" and values["archivePrefix"] == "arXiv"
    assert values["primaryClass"] == "cs.LG"
    assert values["doi"] == "10.48550/arXiv.2503.10004"
    assert values["url"] == "https://arxiv.org/abs/2503.10004"
    assert values["keywords"] == "to_read, ml&ai"
    assert "{LLM}" in text and "month = mar" in text
    persons = pyb.entries["lovelace2025mixture"].persons["author"]  # type: ignore[attr-defined]
    assert len(persons) == 2  # the team's "and" did not split it


def test_an_entry_without_arxiv_id_or_authors_has_a_title_key_and_its_paper_link() -> None:
    draft = EntryDraft(
        title="Sparse Lattice Attention",
        links=[Link("https://example.org/p?a=1&b=%7E#x", "paper")],
    )
    text = bibtex.to_bibtex([draft])
    assert text.startswith("@misc{sparselatticeattention,")
    assert "url = {https://example.org/p?a=1%26b=%257E%23x}" in text
    _parse_both(text)


def test_hostile_titles_parse_with_both_parsers(library: Library) -> None:
    drafts = [
        EntryDraft(
            title=title,
            arxiv_id=f"2501.{n:05d}",
            authors=["}{ Mallory", "Eve \\ Adversary"],
            abstract=title,
            user_state=UserState(tags=["}{", "50%"]),
        )
        for n, title in enumerate(HOSTILE_TITLES)
    ]
    library.import_parsed(ParseResult("digestdesk", drafts), source="hostile.json")
    text = export.export_text(library, "bibtex")
    assert "\\}" not in text and "\\{" not in text
    parsed, pyb = _parse_both(text)
    assert len(parsed.entries) == len(HOSTILE_TITLES)  # type: ignore[attr-defined]
    assert len(pyb.entries) == len(HOSTILE_TITLES)  # type: ignore[attr-defined]
    for entry in parsed.entries:  # type: ignore[attr-defined]
        assert entry.fields_dict["eprint"].value.startswith("2501.")
        assert entry.key != "injected" and "=" not in entry.key
    _compile_or_skip(text, "plainnat")


def test_other_scripts_stay_utf8_for_the_readers_that_take_them() -> None:
    assert bibtex.tex("中文 Привет") == "中文 Привет"
    _parse_both(bibtex.to_bibtex([EntryDraft(title="中文 Привет", authors=["王 小明"])]))


# --------------------------------------------------------------------- the samples
@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """The samples' BibTeX export, and each paper's title as the app shows it (by arXiv id)."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"the shared samples are not here ({SHARED_SAMPLES})")
    if os.environ.get("DIGESTDESK_DATABASE_URL"):
        pytest.skip("the sample export runs on the embedded SQLite library")
    paths = resolve_library(tmp_path_factory.mktemp("bib") / "library")
    with Library.open(paths) as library:
        for path in sorted((SHARED_SAMPLES / "hf-daily-api").glob("*.json")):
            library.import_file(path, index=False)
        assert library.counts()["total"] == 1627
        drafts, _ = library.export_drafts()
        titles = {d.arxiv_id or "": clean_text(d.title) for d in drafts}
        return export.export_text(library, "bibtex"), titles


@pytest.fixture(scope="module")
def samples_bibtex(samples: tuple[str, dict[str, str]]) -> str:
    return samples[0]


def test_the_samples_parse_cleanly_with_two_parsers(samples: tuple[str, dict[str, str]]) -> None:
    from pylatexenc.latex2text import LatexNodes2Text

    samples_bibtex, titles = samples
    parsed, pyb = _parse_both(samples_bibtex, decode=False)  # decoding 1,627 abstracts is slow
    entries = parsed.entries  # type: ignore[attr-defined]
    assert len(entries) == 1627 and len(pyb.entries) == 1627  # type: ignore[attr-defined]
    assert len({e.key for e in entries}) == 1627
    assert all(re.fullmatch(r"[a-z0-9]+(-[0-9.]+)?", e.key) for e in entries)
    for entry in entries:
        fields = entry.fields_dict
        assert fields["doi"].value == "10.48550/arXiv." + fields["eprint"].value
        assert _balanced(fields["title"].value)
    # Decoded by a LaTeX-to-text converter (pylatexenc), each title reads as the paper's title:
    # protecting braces, accents and escapes all undone (its few unknown commands aside).
    decoder = LatexNodes2Text()
    unknown = re.compile(r"[\\{}^~<>|]")  # \textasciicircum{} and friends it does not know
    checked = 0
    for entry in entries:
        title = titles[entry.fields_dict["eprint"].value]
        if unknown.search(title):
            continue
        checked += 1
        decoded = decoder.latex_to_text(entry.fields_dict["title"].value)
        # TeX's ligatures: -- and quotes typed as '' and `` read as the characters they make.
        expected = title.replace("--", "–").replace("''", "”").replace("``", "“")
        assert decoded == expected, (decoded, title)
    assert checked > 1500
    carets = [t for t in titles.values() if "^" in t]
    assert len(carets) >= 7 and samples_bibtex.count(r"\textasciicircum{}") >= len(carets)


def test_the_samples_compile_with_latex(samples_bibtex: str) -> None:
    # natbib's author-year styles cannot label more than 26 "Wang et al. 2025" apart, a limit
    # of those styles; the standard numeric style takes them all.
    _compile_or_skip(samples_bibtex, "plain")


def _compile_or_skip(bib: str, style: str) -> None:
    pdflatex, bibtex_bin = shutil.which("pdflatex"), shutil.which("bibtex")
    if pdflatex is None or bibtex_bin is None:
        pytest.skip("pdflatex and bibtex are not installed (Debian: texlive-latex-base)")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "refs.bib").write_text(bib, encoding="utf-8")
        (work / "main.tex").write_text(
            "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
            "\\usepackage{textcomp}\n\\usepackage{url}\n\\usepackage{natbib}\n"
            "\\begin{document}\n\\nocite{*}\n"
            f"\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n\\end{{document}}\n",
            encoding="utf-8",
        )
        latex = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "main.tex"]

        def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                argv, cwd=work, capture_output=True, text=True, errors="replace", timeout=300
            )

        assert run(latex).returncode == 0
        done = run([bibtex_bin, "main"])
        assert done.returncode == 0 and "error message" not in done.stdout, done.stdout[-2000:]
        for _ in range(2):
            done = run(latex)
            log = (work / "main.log").read_text(errors="replace")
            assert done.returncode == 0, log[-3000:]
        assert "Unicode character" not in log and "Undefined control sequence" not in log
        bbl = (work / "main.bbl").read_text(errors="replace")
        assert bbl.count("\\bibitem") == bib.count("@misc{")
