from pathlib import Path

import pytest

from qa.ingest.article import find_date, line_blocks, parse_article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _kinds(name: str) -> dict[str, str]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    _, blocks, _, _ = parse_article(text)
    return {text[b.start : b.end]: b.kind for b in blocks}


@pytest.mark.parametrize(
    "text,iso",
    [
        ("Friday, 7th December 2018, 10:27 am", "2018-12-07"),
        ("Published 1 March 2021", "2021-03-01"),
        ("December 7, 2018", "2018-12-07"),
        ("2024-02-29 update", "2024-02-29"),
        ("on the 31st of Sept 2019", None),  # no such day
        ("in 2014 the council", None),
    ],
)
def test_dates(text, iso):
    assert find_date(text) == iso


def test_sheffield_article_structure():
    kinds = _kinds("000_365c892c7d4508bf.txt")
    assert kinds["Read More"] == "boilerplate"
    assert kinds["Friday, 7th December 2018, 10:27 am"] == "boilerplate"
    assert kinds["Inspectors have visited Sheffield's Council's children's services department"] == "boilerplate"
    linked = "Sheffield councillor suspended for sending inappropriate photo to women's group during council meeting"
    assert kinds[linked] == "boilerplate"
    assert kinds["'However, the quality of social work practice remains too variable."] == "body"
    caption = "Jayne Ludlam., Sheffield Council's executive director for children, young people and families"
    assert kinds[caption] != "body"


def test_rotherham_article_metadata():
    text = (SEEDS / "004_881785a2dd4e6661.txt").read_text(encoding="utf-8")
    title, blocks, date, publisher = parse_article(text)
    assert title == "Quality of council’s social work practice ‘poor’, inspectors say"
    assert publisher == "Community Care"
    assert date is None  # "in 2014" is not the article's date
    kinds = {text[b.start : b.end]: b.kind for b in blocks}
    assert kinds["Comments are closed."] == "boilerplate"
    assert kinds["More from Community Care"] == "boilerplate"
    assert kinds["Emerging strength"] == "heading"


def test_wrapped_lines_are_joined_into_one_paragraph():
    text = "Title\n\nThe inspectors found that\nsupervision was weak.\nNext paragraph here."
    spans = line_blocks(text)
    assert [text[s:e] for s, e in spans] == [
        "Title",
        "The inspectors found that\nsupervision was weak.",
        "Next paragraph here.",
    ]


def test_markdown_article():
    text = (
        "# Ofsted praises fostering\n\nPublished 3 May 2023\n\n## What inspectors found\n"
        "Inspectors said fostering in Leeds was\nstrong and well led.\n\n![photo](x.jpg)\n\n- Carers feel supported.\n"
    )
    title, blocks, date, _ = parse_article(text)
    assert title == "Ofsted praises fostering" and date == "2023-05-03"
    kinds = {text[b.start : b.end]: b.kind for b in blocks}
    assert kinds["## What inspectors found"] == "heading"
    assert kinds["Inspectors said fostering in Leeds was\nstrong and well led."] == "body"
    assert kinds["![photo](x.jpg)"] == "boilerplate"
    assert kinds["- Carers feel supported."] == "body"
