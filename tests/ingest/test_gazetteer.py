import pytest

from qa.ingest.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_finds_authorities_longest_first(gaz):
    names = gaz.names_in("Reports on North Lincolnshire and Lincolnshire, and Rotherham.")
    assert set(names) == {"North Lincolnshire", "Lincolnshire", "Rotherham"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("supervision in rotherham", ["Rotherham"]),
        ("reading levels are low", []),
        ("children in Reading", ["Reading"]),
        ("BCP council", ["Bournemouth, Christchurch and Poole"]),
        ("the City of Bristol", ["Bristol, City of"]),
        ("Hull and County Durham", ["Kingston Upon Hull, City of", "Durham"]),
        ("Yorkshire is big", []),
    ],
)
def test_names_and_aliases(gaz, text, expected):
    assert sorted(gaz.names_in(text)) == sorted(expected)


def test_resolve_manifest_spelling(gaz):
    assert gaz.resolve("bournemouth, christchurch & poole") == "Bournemouth, Christchurch and Poole"
    assert gaz.resolve("nowhere") is None
    assert gaz.region("Rotherham") == "Yorkshire and the Humber"


@pytest.mark.parametrize("question, expected", [
    ("stoke LADO - does it have enough capacity?", ["Stoke-on-Trent"]),
    ("halton 2020 inspection care leavers", ["Halton"]),
    ("bucks front door", ["Buckinghamshire"]),
    ("stoke on trent 2022 inspection", ["Stoke-on-Trent"]),
    ("when kids in bath go missing", ["Bath and North East Somerset"]),
    ("how is reading council doing", ["Reading"]),
    ("what grade did ofsted give slough children's services in 2023", ["Slough"]),
    ("bury local authority care leavers", ["Bury"]),
    ("what percentage of K&C care leavers were in education", ["Kensington and Chelsea"]),
    ("Soton missing children team", ["Southampton"]),
    # Everyday words stay words unless a council or a place's preposition is beside them.
    ("progress in reading for children in care in Hull", ["Kingston Upon Hull, City of"]),
    ("do they bury bad news in the report", []),
])
def test_a_question_names_places_in_lower_case_and_everyday_names(gaz, question, expected):
    assert [name for name, _, _ in gaz.find(question, question=True)] == expected


def test_in_documents_lower_case_words_are_not_places(gaz):
    assert gaz.names_in("Children's reading improved; staff can bath babies; the bucks stop here.") == []


# ---------------------------------------------------------------- towns standing for their authority


@pytest.mark.parametrize("question, expected", [
    ("How are children in care doing in Huddersfield?", ["Kirklees"]),
    ("what did ofsted say about crawley children's services", ["West Sussex"]),
    ("care leavers in Barrow-in-Furness", ["Westmorland and Furness"]),
    ("front doors in Leeds and Dewsbury compared", ["Leeds", "Kirklees"]),
    ("Huddersfield council care leavers", ["Kirklees"]),
])
def test_a_town_in_a_question_is_its_authority(gaz, question, expected):
    assert [name for name, _, _ in gaz.find(question, question=True)] == expected


def test_a_town_in_a_document_does_not_make_it_about_that_authority(gaz):
    """A Leeds article that mentions a Huddersfield family is about Leeds only."""
    assert gaz.names_in("Leeds social workers placed a child with a family in Huddersfield.") == ["Leeds"]


def test_towns_in_names_the_town_as_written_in_the_file(gaz):
    assert gaz.towns_in("support for care leavers in HUDDERSFIELD and Leeds") == [("Huddersfield", "Kirklees")]
    assert gaz.towns_in("support for care leavers in Leeds") == []


def test_the_town_file_names_real_authorities_and_never_shadows_one():
    import csv

    from qa.ingest.gazetteer import TOWNS, Gazetteer, load_gazetteer

    gaz = load_gazetteer()
    with open(TOWNS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 200
    towns = [r["town"].strip().lower() for r in rows]
    assert len(towns) == len(set(towns)), "a town is listed twice"
    without_towns = Gazetteer(list(gaz.authorities.values()))
    for r in rows:
        assert r["authority"] in gaz.authorities, r
        # a town that is itself an authority's name or alias would be read as that authority
        assert without_towns.resolve(r["town"]) is None, r
        assert gaz.find(f"children in {r['town']}", question=True)[0][0] == r["authority"], r
