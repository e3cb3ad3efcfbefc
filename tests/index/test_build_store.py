"""Building, publishing and loading the index, with the fake embedder."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from qa.errors import BuildLocked, IndexDamaged, IndexMismatch, IndexNotBuilt, QAError
from qa.index import store
from qa.index.build import build_index
from qa.index.store import load_index
from qa.search.retrieve import Retriever


def test_build_and_load_round_trip(seed_docs, tmp_path, fake_embedder):
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert sorted(report.indexed) == sorted(p.name for p in seed_docs.iterdir())
    index = load_index(tmp_path / "index")
    m = index.manifest
    assert m["model"] == "fake-embedder" and m["dimension"] == 64
    assert m["chunking"]["max_words"] > 0 and m["format_version"] == store.FORMAT_VERSION
    assert {d["content_hash"] for d in m["documents"]} == {d.content_hash for d in index.documents}
    assert index.vectors.ntotal == len(index.sentences) > 0
    for d in index.documents:  # stored text is the file's text
        assert d.text == (seed_docs / d.source).read_text(encoding="utf-8")
    # every sentence and chunk lies inside a body block of its document
    for row in index.sentences:
        doc = index.documents[row[0]]
        block = doc.blocks[row[3]]
        assert block.kind == "body" and block.start <= row[1] < row[2] <= block.end


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexNotBuilt, match="python -m qa build"):
        load_index(tmp_path / "nothing")


def test_rebuild_without_changes_keeps_the_live_build(seed_docs, tmp_path, fake_embedder):
    first = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    again = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert again.up_to_date and again.index_folder == first.index_folder


def test_builds_a_killed_build_left_unpruned_are_cleared_by_the_next(seed_docs, tmp_path, fake_embedder):
    """A build killed after publishing but before pruning leaves old builds behind; the next
    build clears them under the lock even when it has nothing to rebuild."""
    live = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder).index_folder
    builds = tmp_path / "index" / "builds"
    for name in ("20000101-000000-aaaaaaaa", "20000101-000001-bbbbbbbb"):  # older than the live build
        shutil.copytree(live, builds / name)
    again = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert again.up_to_date and again.index_folder == live
    assert sorted(p.name for p in builds.iterdir()) == sorted([live.name, "20000101-000001-bbbbbbbb"])
    load_index(tmp_path / "index")


def test_incremental_build_embeds_only_changed_documents(seed_docs, tmp_path, fake_embedder):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    (seed_docs / "new.txt").write_text("A new article\n\nInspectors praised fostering in Leeds.\n", encoding="utf-8")
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert report.embedded == ["new.txt"]
    index = load_index(tmp_path / "index")
    assert len(index.documents) == 3
    # reused vectors are the ones the embedder gives for those sentences
    for i in range(len(index.sentences)):
        d, s, e, _ = index.sentences[i]
        expected = fake_embedder.encode([index.documents[d].text[s:e]])[0]
        assert np.allclose(index.vectors.reconstruct(i), expected, atol=1e-6)
    (seed_docs / "new.txt").unlink()
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert report.embedded == [] and len(load_index(tmp_path / "index").documents) == 2


def test_identical_files_are_indexed_once(seed_docs, tmp_path, fake_embedder):
    shutil.copy(seed_docs / "004_881785a2dd4e6661.txt", seed_docs / "copy.txt")
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert len(report.indexed) == 2
    assert any(name == "copy.txt" and "identical" in reason for name, reason in report.skipped)


def test_failed_build_leaves_previous_index_usable(seed_docs, tmp_path, fake_embedder, monkeypatch):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    before = load_index(tmp_path / "index").folder
    (seed_docs / "new.txt").write_text("Title\n\nSome new text here.\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.LexicalIndex, "save", crash)
    with pytest.raises(OSError):
        build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    after = load_index(tmp_path / "index")
    assert after.folder == before and len(after.documents) == 2
    monkeypatch.undo()
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)  # recovers, cleans the partial
    assert not list((tmp_path / "index" / "builds").glob("*.partial"))
    assert len(load_index(tmp_path / "index").documents) == 3


def test_second_build_at_the_same_time_is_refused(seed_docs, tmp_path, fake_embedder):
    with store.build_lock(tmp_path / "index"):
        with pytest.raises(BuildLocked, match="Another build"):
            build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the checksum can tell
    path.write_bytes(bytes(data))


def _edit_manifest(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["documents"][0]["source"] = "someone-else.txt"
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda f: _truncate(f / "dense.faiss"), "wrong size"),
        (lambda f: _flip_a_byte(f / "dense.faiss"), "checksum"),
        (lambda f: _flip_a_byte(f / "documents.jsonl"), "checksum"),
        (lambda f: next((f / "lexical").iterdir()).unlink(), "missing"),
        (lambda f: (f / "sentences.npy").unlink(), "missing"),
        (_edit_manifest, "edited"),
        (lambda f: (f / "manifest.json").write_text("{not json"), "unreadable"),
        (lambda f: (f / "manifest.json").write_text("[]"), "unreadable"),
    ],
    ids=["truncated-faiss", "corrupted-faiss", "corrupted-documents", "missing-lexical-file",
         "missing-sentences", "edited-manifest", "manifest-not-json", "manifest-not-object"],
)
def test_damaged_files_are_detected_and_name_the_remedy(seed_docs, tmp_path, fake_embedder, damage, message):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    damage(load_index(tmp_path / "index").folder)
    with pytest.raises(IndexDamaged, match=message) as caught:
        load_index(tmp_path / "index")
    assert "python -m qa build --index" in str(caught.value)
    # The build notices too (unchanged documents, damaged index): it rebuilds rather than keeping it.
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert not report.up_to_date and len(load_index(tmp_path / "index").documents) == 2


def test_pointer_to_a_missing_build_says_how_to_build(seed_docs, tmp_path, fake_embedder):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    (tmp_path / "index" / "CURRENT").write_text("no-such-build\n")
    with pytest.raises(IndexNotBuilt, match="build one"):
        load_index(tmp_path / "index")


def test_a_build_published_while_loading_is_read_instead(seed_docs, tmp_path, fake_embedder, monkeypatch):
    """A reader that picked the old build just before a new build pruned it reads the new one."""
    index_dir = tmp_path / "index"
    build_index([seed_docs], index_dir, embedder=fake_embedder)
    old = load_index(index_dir).folder
    (seed_docs / "new.txt").write_text("Title\n\nSupervision was regular and reflective.\n", encoding="utf-8")
    build_index([seed_docs], index_dir, embedder=fake_embedder)
    real_current = store.current_build
    calls = []

    def stale_first(folder):  # the first look sees the old build, as a reader racing a build would
        calls.append(folder)
        return old if len(calls) == 1 else real_current(folder)

    shutil.rmtree(old)  # pruned by the build after it
    monkeypatch.setattr(store, "current_build", stale_first)
    assert len(store.load_index(index_dir).documents) == 3


def test_other_format_version_is_a_mismatch(seed_docs, tmp_path, fake_embedder):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    manifest_file = load_index(tmp_path / "index").folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["format_version"] = 999
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="format 999"):
        load_index(tmp_path / "index")


@pytest.mark.parametrize("strip", ["sizes only", "no manifest checksum", "one file unchecked"])
def test_a_manifest_without_checksums_is_refused_with_the_remedy(seed_docs, tmp_path, fake_embedder, strip):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    manifest_file = load_index(tmp_path / "index").folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    if strip == "sizes only":  # as builds wrote before checksums
        manifest["files"] = {name: entry["bytes"] for name, entry in manifest["files"].items()}
        del manifest["checksum"]
    elif strip == "no manifest checksum":
        del manifest["checksum"]
    else:
        name = next(iter(manifest["files"]))
        del manifest["files"][name]["sha256"]
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(IndexDamaged, match="no checksums.*python -m qa build --index"):
        load_index(tmp_path / "index")


def test_no_readable_document_is_an_error_and_keeps_the_index(seed_docs, tmp_path, fake_embedder):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_bytes(b"")
    with pytest.raises(QAError, match="No document could be indexed"):
        build_index([empty], tmp_path / "index", embedder=fake_embedder)
    assert len(load_index(tmp_path / "index").documents) == 2


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\n  ", "empty"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "not supported"),
        ("headings.txt", b"Just a title\n\nAnother line", "no prose"),
    ],
)
def test_bad_files_are_reported_and_the_rest_indexed(seed_docs, tmp_path, fake_embedder, name, content, reason):
    (seed_docs / name).write_bytes(content)
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert len(report.indexed) == 2
    assert [(n, r) for n, r in report.skipped if n == name and reason in r], report.skipped


def test_non_utf8_text_is_indexed_with_a_warning(seed_docs, tmp_path, fake_embedder):
    (seed_docs / "latin1.txt").write_bytes("Café report\n\nThe café inspection was thorough.\n".encode("latin-1"))
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert "latin1.txt" in report.indexed
    assert any("latin1.txt" in w and "UTF-8" in w for w in report.warnings)
    doc = next(d for d in load_index(tmp_path / "index").documents if d.source == "latin1.txt")
    assert "café inspection" in doc.text


def test_utf16_text_is_read(seed_docs, tmp_path, fake_embedder):
    (seed_docs / "utf16.txt").write_bytes("Title\n\nSupervision was regular.\n".encode("utf-16"))
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert "utf16.txt" in report.indexed


def test_missing_docs_folder_is_a_clear_error(tmp_path, fake_embedder):
    with pytest.raises(QAError, match="does not exist"):
        build_index([tmp_path / "nope"], tmp_path / "index", embedder=fake_embedder)


def test_up_to_date_check_reads_no_document(seed_docs, tmp_path, fake_embedder, monkeypatch):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)

    def no_parsing(*args, **kwargs):
        raise AssertionError("an unchanged collection must not be parsed again")

    monkeypatch.setattr("qa.index.build.load_document", no_parsing)
    report = build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert report.up_to_date and sorted(report.indexed) == sorted(p.name for p in seed_docs.iterdir())


def test_vector_index_kind_is_recorded_and_used(seed_docs, tmp_path, fake_embedder):
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder, vector_index="hnsw")
    index = load_index(tmp_path / "index")
    assert index.manifest["vector_index"]["kind"] == "hnsw" and index.manifest["vector_index"]["efSearch"] >= 64
    retriever = Retriever(index, fake_embedder)
    assert retriever.search("supervision in Rotherham", k=3)
    # Asking for another kind is a change: the next build makes a new index of that kind.
    build_index([seed_docs], tmp_path / "index", embedder=fake_embedder)
    assert load_index(tmp_path / "index").manifest["vector_index"]["kind"] == "flat"
