"""The thesis sources read as written text: no templated plurals, no number glued to a word, and a
bibliography that prints each entry's year once. Each check runs on a constructed bad case first, so a
check that could never fail does not pass silently."""
import re
from pathlib import Path

import pytest

THESIS = Path(__file__).resolve().parents[2] / "thesis"
CHAPTERS = sorted((THESIS / "chapters").rglob("*.tex"))
# A year standing alone (not the first half of an arXiv number such as 2001.08361).
YEAR = re.compile(r"\b(?:19|20)\d\d\b(?!\.\d)")
# Fields BibTeX prints besides `year`: a year inside one of them is printed a second time.
PRINTED_FIELDS = ("howpublished", "note", "booktitle", "journal", "series")


def templated_plurals(text: str) -> list[str]:
    """'epoch(s)', 'thread(s)': a count the text did not put in the right number (use count_of)."""
    return re.findall(r"\w+\(s\)", text)


def glued_macros(text: str) -> list[str]:
    r"""'\Epochs{}epochs': a macro's value runs into the next word."""
    return re.findall(r"\\[A-Za-z]+\{\}[A-Za-z]\w*", text)


def bib_entries(text: str) -> dict[str, dict[str, str]]:
    """key -> {field: value} (lower-case field names, values without their outer braces)."""
    entries = {}
    for match in re.finditer(r"@\w+\{([^,]+),(.*?)\n\}", text, re.S):
        fields = re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", match.group(2))
        entries[match.group(1).strip()] = {name.lower(): " ".join(value.split()) for name, value in fields}
    return entries


def doubled_years(entries: dict[str, dict[str, str]]) -> list[str]:
    """Entries whose printed fields hold a year besides the `year` field ('(BMVC), 2016, 2016')."""
    return [f"{key}: {field} = {{{fields[field]}}}" for key, fields in entries.items()
            for field in PRINTED_FIELDS if field in fields and YEAR.search(fields[field])]


def test_the_checks_flag_constructed_mistakes():
    assert templated_plurals(r"for \Epochs{} epoch(s) with") == ["epoch(s)"]
    assert glued_macros(r"for \Epochs{}epochs and \Runs{} runs") == [r"\Epochs{}epochs"]
    bad = bib_entries("@misc{ZK16,\n  howpublished = {Proceedings (BMVC), 2016},\n  year = {2016}\n}\n")
    assert doubled_years(bad) == ["ZK16: howpublished = {Proceedings (BMVC), 2016}"]
    arxiv = bib_entries("@misc{K20,\n  howpublished = {arXiv preprint arXiv:2001.08361},\n  year = {2020}\n}\n")
    assert doubled_years(arxiv) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: str(path.relative_to(THESIS)))
def test_chapter_has_no_templated_plural_and_no_glued_macro(chapter):
    text = chapter.read_text()
    assert not templated_plurals(text), "put the count in words with reporting.numbers.count_of"
    assert not glued_macros(text)


def test_bibliography_prints_each_year_once():
    entries = bib_entries((THESIS / "references.bib").read_text())
    assert len(entries) > 20  # the parser found the entries
    assert all("year" in fields for fields in entries.values())
    assert not doubled_years(entries), "give the venue's year in `year` and the preprint's number alone"
