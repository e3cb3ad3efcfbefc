import pytest

from qa.gazetteer import load_gazetteer


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
