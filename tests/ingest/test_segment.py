from qa.ingest.segment import split_sentences


def test_offsets_point_into_the_text():
    text = "  Hello “there is some evidence. However, this is é.” it said.  Next one!\n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Hello “there is some evidence.",
        "However, this is é.” it said.",
        "Next one!",
    ]


def test_range_and_astral_characters():
    text = "XX 😀😀 Émile went home. Then he slept. YY"
    spans = split_sentences(text, 3, len(text) - 3)
    assert [text[s:e] for s, e in spans] == ["😀😀 Émile went home.", "Then he slept."]


def test_blank_range_has_no_sentences():
    assert split_sentences("   \n ", 0) == []


def test_abbreviation_does_not_split():
    text = "Jayne Ludlam., Sheffield Council's executive director, wrote e.g. this."
    assert len(split_sentences(text)) == 1
