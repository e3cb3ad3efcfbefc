"""Builds on Ray (qa/index/ray_build.py) on a local Ray instance: the index
equals a single-process build of the same files, the live build's vectors are
reused, and a worker killed mid-build is retried. Needs the optional extra
(`make setup-cluster`); run with `pytest -m cluster tests/cluster/test_ray_build.py`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.index import store
from qa.index.build import DOCUMENT_VECTOR_CHARS, build_index, read_file
from qa.index.ray_build import build_index_on_ray, init_ray, ray_build
from tests.cluster.shared_reports import copy_manifest_rows

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "ofsted"
MODEL = "all-MiniLM-L6-v2"  # the packaged model: the same on every machine
REPORTS = [  # four short reports
    "80511_newham/children's services inspection - 25 march 2019.pdf",
    "80561_staffordshire/children's services inspection - 11 march 2019.pdf",
    "80564_stoke-on-trent/children's services inspection - 18 march 2019.pdf",
    "80479_knowsley/children's services inspection - 03 december 2021.pdf",
]
NOT_A_PDF = "80429_birmingham/children's services inspection - 19 october 2012.pdf"  # a web page: skipped
VECTOR_FILES = {"dense.faiss", "document_vectors.npy"}


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray for the module (starting one costs 10-20 s here)."""
    import ray

    assert init_ray(num_cpus=2), "Ray was already running in this process"
    # The failing reader and encoder below are defined here, in a module the workers cannot import.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    """Four reports with their manifest rows, a file that is not a PDF, the same
    report twice (indexed once) and the two seed articles."""
    folder = tmp_path_factory.mktemp("ray-docs")
    for rel in [*REPORTS, NOT_A_PDF]:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / rel, folder / rel)
    (folder / "copy").mkdir()
    shutil.copy(CORPUS / REPORTS[0], folder / "copy" / "same report.pdf")
    for article in sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copy(article, folder / article.name)
    copy_manifest_rows(CORPUS, list(REPORTS), folder / "manifest.csv")
    return folder


@pytest.fixture(scope="module")
def single(docs, tmp_path_factory):
    """The reference: a single-process build of the same files."""
    from qa.index.embed import SentenceTransformerEmbedder

    index = tmp_path_factory.mktemp("single") / "index"
    embedder = SentenceTransformerEmbedder(MODEL)
    return index, build_index([docs], index, embedder=embedder), embedder


def assert_same_index(ray_index: Path, single_index: Path) -> None:
    """Every file of the two live builds the same, byte for byte, but the vectors
    (within 1e-5) and the manifest's time and checksums."""
    a, b = store.current_build(ray_index), store.current_build(single_index)
    files = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    for rel in files:
        if rel.name not in VECTOR_FILES | {"manifest.json"}:
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    ma, mb = (json.loads((f / "manifest.json").read_text()) for f in (a, b))
    for m in (ma, mb):
        for key in ("created", "files", "checksum"):
            m.pop(key)
    assert ma == mb
    va, vb = store.reusable_vectors(ray_index), store.reusable_vectors(single_index)
    assert va.texts == vb.texts and len(va.texts) == mb["counts"]["documents"]
    np.testing.assert_array_equal(va.sentences, vb.sentences)
    assert va.vectors.shape == vb.vectors.shape == (mb["counts"]["sentences"], mb["dimension"])
    np.testing.assert_allclose(va.vectors, vb.vectors, rtol=0, atol=1e-5)
    np.testing.assert_allclose(va.document_vectors, vb.document_vectors, rtol=0, atol=1e-5)


def test_ray_build_equals_single_process_build(ray_instance, docs, single, tmp_path):
    single_index, single_report, _ = single
    index = tmp_path / "index"
    report = build_index_on_ray([docs], index, model=MODEL, workers=2)
    assert report.indexed == single_report.indexed and len(report.indexed) == len(REPORTS) + 2
    assert report.embedded == single_report.embedded
    assert report.skipped == single_report.skipped
    assert {name for name, _ in report.skipped} == {NOT_A_PDF, "copy/same report.pdf"}
    assert report.warnings == single_report.warnings
    assert (report.sentences, report.chunks) == (single_report.sentences, single_report.chunks)
    loaded = store.load_index(index)  # it loads and checks out as any index
    urns = [d.meta.get("urn") for d in loaded.documents if d.kind == "report"]  # the manifest's rows were read
    assert urns == sorted(r.split("_")[0] for r in REPORTS)
    assert_same_index(index, single_index)


def test_ray_build_reuses_the_live_build(ray_instance, docs, single, tmp_path, capsys):
    """Up to date: nothing read or encoded. One file changed: only its new
    sentences are encoded, the rest reused (here from a single-process build)."""
    single_index, single_report, embedder = single
    folder, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(docs, folder)
    shutil.copytree(single_index, index, symlinks=True)

    assert main(["build", "--docs", str(folder), "--index", str(index), "--model", MODEL,
                 "--ray", "--ray-workers", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["up_to_date"] and out["indexed"] == single_report.indexed and out["embedded"] == []

    article = sorted(folder.glob("*.txt"))[0]
    added = "Inspectors found that the new fostering panel met every month and kept careful records."
    article.write_text(article.read_text(encoding="utf-8").rstrip() + "\n\n" + added + "\n", encoding="utf-8")
    with ray_build(None, model=MODEL, index_dir=index, workers=2) as rb:
        report = build_index([folder], index, embedder=rb.embedder, read_files=rb.read_files)
    assert not report.up_to_date and report.indexed == single_report.indexed
    assert report.embedded == [article.name]

    old, new = store.reusable_vectors(single_index), store.reusable_vectors(index)
    old_vectors = {old.texts[d][s:e]: v for (d, s, e, _), v in zip(old.sentences.tolist(), old.vectors, strict=True)}
    texts = [new.texts[d][s:e] for d, s, e, _ in new.sentences.tolist()]
    fresh = [i for i, t in enumerate(texts) if t not in old_vectors]
    assert added in [texts[i] for i in fresh]
    openings = {t[:DOCUMENT_VECTOR_CHARS] for t in new.texts} - {t[:DOCUMENT_VECTOR_CHARS] for t in old.texts}
    # Encoded: the new sentences (and the article's opening, had it changed), no more, in one job.
    assert rb.embedder.jobs == 1 and rb.embedder.encoded == len({texts[i] for i in fresh} | openings)
    reused = [i for i in range(len(texts)) if i not in set(fresh)]
    np.testing.assert_array_equal(new.vectors[reused], np.stack([old_vectors[texts[i]] for i in reused]))
    np.testing.assert_allclose(new.vectors[fresh], embedder.encode([texts[i] for i in fresh]), rtol=0, atol=1e-5)
    assert store.load_index(index).manifest["counts"]["sentences"] == len(texts) == report.sentences


def _first_time(marker: Path) -> bool:
    """True for the one process, of all the workers, that creates `marker`."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def read_killed_once(root: Path, path: Path, row, *, victim: str, marker: Path):
    """build.read_file, whose worker is killed (SIGKILL) the first time it reads `victim`."""
    if path.name == victim and _first_time(marker):
        os.kill(os.getpid(), signal.SIGKILL)
    return read_file(root, path, row)


class EncoderKilledOnce:
    """The real model, whose worker is killed (SIGKILL) at its second batch, once of all the workers."""

    def __init__(self, model: str, *, marker: Path):
        from qa.index.embed import SentenceTransformerEmbedder

        self._inner = SentenceTransformerEmbedder(model)
        self.name, self.dimension = self._inner.name, self._inner.dimension
        self._marker, self._batches = marker, 0

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        self._batches += 1
        if self._batches == 2 and _first_time(self._marker):
            os.kill(os.getpid(), signal.SIGKILL)
        return self._inner.encode(texts, batch_size=batch_size)


def test_killed_workers_are_retried_and_the_index_is_complete(ray_instance, docs, single, tmp_path):
    """A reader's worker and an encoder's worker killed mid-build: Ray runs the read
    again and restarts the encoder (its batch retried); the index is the same."""
    single_index, single_report, _ = single
    read_marker, encode_marker = tmp_path / "reader-killed", tmp_path / "encoder-killed"
    index = tmp_path / "index"
    report = build_index_on_ray(
        [docs], index, model=MODEL, workers=2,
        read=partial(read_killed_once, victim=Path(REPORTS[1]).name, marker=read_marker),
        factory=partial(EncoderKilledOnce, marker=encode_marker),
    )
    assert read_marker.exists() and encode_marker.exists()  # both workers were killed
    assert report.indexed == single_report.indexed and report.skipped == single_report.skipped
    assert_same_index(index, single_index)


def test_without_ray_installed_the_message_says_what_to_install(monkeypatch):
    from qa.errors import QAError
    from qa.index import ray_build as module

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(QAError, match=r"make setup-cluster.*requirements-cluster\.txt"):
        module.RayBuild(None, model=MODEL)
