"""Shared fixtures: a deterministic fake embedder for fast unit tests, and a
session-wide real-model index of the seeds for behaviour that depends on it."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Fuzz tests (tests/test_hostile.py) take their example counts from a profile:
# "standard", 300 examples per test, in the default run and CI; run
# `HYPOTHESIS_PROFILE=heavy pytest tests/test_hostile.py` for 5000 per test.
# Tests that set max_examples themselves keep theirs. No deadline: parsing
# a PDF takes from 1 to 100 ms and that spread is not a failure.
hypothesis_settings.register_profile("standard", max_examples=300, deadline=None)
hypothesis_settings.register_profile(
    "heavy", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "standard"))

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


# The suites of the optional extra (tests/cluster, requirements-cluster.txt), run by `make test-cluster`.
# Asked for by marker (`pytest -m cluster`) they must not pass by skipping: a run that selects them
# without the extra installed stops with what to install.
CLUSTER_EXTRA_MODULES = ("ray", "pymilvus", "milvus_lite", "onnx", "onnxruntime", "openvino")


def pytest_configure(config: pytest.Config) -> None:
    marker = config.getoption("-m") or ""
    if "cluster" in marker and "not cluster" not in marker:
        missing = [m for m in CLUSTER_EXTRA_MODULES if importlib.util.find_spec(m) is None]
        if missing:
            raise pytest.UsageError(f"The cluster suites need {', '.join(missing)}: run `make setup-cluster` "
                                    "(pip install -r requirements-cluster.txt) first.")


class FakeEmbedder:
    """Bag of hashed word stems: texts sharing words get similar vectors."""

    name = "fake-embedder"
    dimension = 64

    def __init__(self):
        self.calls: list[int] = []  # how many texts each encode() call got

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word[:5].encode()).hexdigest(), 16)
                out[i, h % self.dimension] += 1.0
            out[i, -1] += 0.01  # never the zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


SEED_ARTICLES = sorted(SEEDS.glob("*.txt"))


@pytest.fixture
def seed_docs(tmp_path: Path) -> Path:
    """A copy of the two seed articles (the reports are tested on their own)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for f in SEED_ARTICLES:
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="session")
def real_embedder():
    from qa.index.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory, real_embedder) -> Path:
    """The seed articles alone, with the real model."""
    from qa.index.build import build_index

    docs = tmp_path_factory.mktemp("seed-articles")
    for f in SEED_ARTICLES:
        shutil.copy(f, docs / f.name)
    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index([docs], index_dir, embedder=real_embedder)
    return index_dir


@pytest.fixture(scope="session")
def default_retriever(tmp_path_factory, real_embedder):
    """The whole default collection (articles and sample reports), real model."""
    from qa.index.build import build_index
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    index_dir = tmp_path_factory.mktemp("default-index")
    build_index([SEEDS], index_dir, embedder=real_embedder)
    return Retriever(load_index(index_dir), real_embedder)


@pytest.fixture(scope="session")
def seed_retriever(seed_index_dir, real_embedder):
    from qa.index.store import load_index
    from qa.search.retrieve import Retriever

    return Retriever(load_index(seed_index_dir), real_embedder)


def zip_bytes(files: dict[str, str]) -> bytes:
    """A zip archive holding `files` (name: content), as bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()
