"""Exporting a sentence-transformers model for another runtime, locally.

The encoders other than torch (qa/index/embed.py, ENCODERS) run a graph
exported here from the model's own weights, on this machine, never
downloaded: the whole sentence-transformers pipeline (the transformer, mean
pooling, normalising) traced once into ONNX, then

    onnx       that graph with ONNX Runtime's BERT fusions (attention, layer norm, GELU)
    onnx-int8  the fused graph with its weights quantised to int8 (dynamic quantisation)
    openvino   the unfused graph read by OpenVINO, kept in float32

each in models/<model>-<encoder>/ beside an export.json card (what it was made
from, with which versions, the hash of the file). An export whose card no
longer matches its source model is made again. `python -m qa.index.export
ENCODER [--model M]` makes one ahead of time; otherwise the first use does.
They need the optional packages of requirements-cluster.txt (`make setup-cluster`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from qa.errors import ModelUnavailable

EXPORT_CARD = "export.json"
# The file each encoder runs, and the optional package it needs.
ENCODER_FILES = {"onnx": "model_fused.onnx", "onnx-int8": "model_qint8.onnx", "openvino": "openvino_model.xml"}
ENCODER_PACKAGES = {"onnx": ("onnxruntime", "onnx"), "onnx-int8": ("onnxruntime", "onnx"),
                    "openvino": ("openvino", "onnx")}
EXPORT_VERSION = 1  # raised when the export steps change: every export is made again
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def require(encoder: str) -> None:
    """A clear error when an encoder's optional runtime is not installed."""
    import importlib.util

    missing = [p for p in ENCODER_PACKAGES[encoder] if importlib.util.find_spec(p) is None]
    if missing:
        raise ModelUnavailable(
            f"The {encoder} encoder needs {', '.join(missing)}, part of the optional extra: run `make setup-cluster` "
            "(pip install -r requirements-cluster.txt), or build with --encoder torch."
        )


def export_folder(model: str, encoder: str, models_dir: Path) -> Path:
    """models/<model>-<encoder>: the packaged model by its name, any other by its folder's name."""
    return models_dir / f"{Path(model).name}-{encoder}"


def source_id(model_path: Path) -> dict:
    """What identifies the weights an export is made from, cheaply: each weight
    file's name, size and time (an export lives on the machine that made it)."""
    files = sorted(p for p in model_path.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file())
    return {"path": str(model_path), "weights": [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files]}


def _versions() -> dict:
    out = {}
    for package in ("torch", "sentence-transformers", "transformers", "onnx", "onnxruntime", "openvino"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            pass
    return out


def ensure_export(model: str, model_path: Path, encoder: str, models_dir: Path) -> dict:
    """The export card of `model` for `encoder`, exporting it first when it is
    missing or made from other weights. The card's "file" is in its folder."""
    require(encoder)
    folder = export_folder(model, encoder, models_dir)
    card = read_card(folder)
    source = source_id(model_path)
    if card and card.get("source") == source and card.get("export_version") == EXPORT_VERSION \
            and (folder / card["file"]).is_file():
        return {**card, "folder": str(folder)}
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=models_dir))
    try:
        _export(model_path, encoder, work)
        name = ENCODER_FILES[encoder]
        card = {
            "encoder": encoder, "file": name, "sha256": _sha256_of(work, name), "source": source,
            "export_version": EXPORT_VERSION, "versions": _versions(),
            "command": f"python -m qa.index.export {encoder} --model {model}",
        }
        (work / EXPORT_CARD).write_text(json.dumps(card, indent=1), encoding="utf-8")
        if folder.exists():  # an export of other weights (or one left half made)
            shutil.rmtree(folder)
        work.chmod(0o755)  # (mkdtemp makes it private)
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {**card, "folder": str(folder)}


def read_card(folder: Path) -> dict | None:
    try:
        return json.loads((folder / EXPORT_CARD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _sha256_of(folder: Path, name: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob(Path(name).stem + ".*")):  # openvino_model.xml and .bin
        with path.open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def _export(model_path: Path, encoder: str, out: Path) -> None:
    if encoder == "onnx":
        plain = _plain_onnx(model_path, out)
        _fuse(plain, out / ENCODER_FILES["onnx"], model_path)
        plain.unlink()
    elif encoder == "onnx-int8":
        work = out / "fused.onnx"
        _fuse(_plain_onnx(model_path, out), work, model_path)
        _quantise(work, out / ENCODER_FILES["onnx-int8"])
        for p in out.glob("*.onnx"):
            if p.name != ENCODER_FILES["onnx-int8"]:
                p.unlink()
    elif encoder == "openvino":
        import openvino as ov

        plain = _plain_onnx(model_path, out)
        ov.save_model(ov.convert_model(str(plain)), str(out / ENCODER_FILES["openvino"]), compress_to_fp16=False)
        plain.unlink()
    else:
        raise ValueError(encoder)


def _plain_onnx(model_path: Path, out: Path) -> Path:
    """The sentence-transformers pipeline traced into one ONNX graph: token ids
    in, the sentence vector out. Eager attention, so ONNX Runtime recognises it."""
    import torch
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st = SentenceTransformer(str(model_path), device="cpu", model_kwargs={"attn_implementation": "eager"})
    st.eval()

    class Pipeline(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.st(features)["sentence_embedding"]

    features = st.preprocess(["A sentence to trace the model with.", "Another, longer, sentence to trace it with."])
    names = [n for n in _INPUTS if n in features]
    if names != list(_INPUTS):
        raise ModelUnavailable(f"{model_path} takes {names}, not {list(_INPUTS)}: use --encoder torch.")
    path = out / "model.onnx"
    import warnings

    with warnings.catch_warnings():  # the tracer's notes on shapes it treats as constant
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pipeline().eval(), tuple(features[n] for n in names), str(path), input_names=names,
            output_names=["sentence_embedding"], opset_version=17, dynamo=False,
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "sentence_embedding": {0: "batch"}},
        )
    return path


def _fuse(plain: Path, out: Path, model_path: Path) -> None:
    """ONNX Runtime's BERT graph fusions (the float32 maths unchanged)."""
    from onnxruntime.transformers.optimizer import optimize_model

    try:  # (0: the optimiser reads them from the graph)
        config = json.loads((model_path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    heads, hidden = int(config.get("num_attention_heads", 0)), int(config.get("hidden_size", 0))
    optimize_model(str(plain), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1).save_model_to_file(
        str(out))


def _quantise(fused: Path, out: Path) -> None:
    """Dynamic int8: weights per output channel in signed int8, activations
    quantised per batch as it runs. Signed weights keep the vectors closer on
    CPUs without VNNI (mean cosine 0.99 to float32 here against 0.98 unsigned)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def main(argv: list[str] | None = None) -> int:
    from .embed import MODELS_DIR, default_model, resolve_model_path

    p = argparse.ArgumentParser(prog="python -m qa.index.export", description=__doc__.split("\n\n")[0])
    p.add_argument("encoder", choices=sorted(ENCODER_FILES))
    p.add_argument("--model", default=None, help="model name or folder (default: the product's)")
    args = p.parse_args(argv)
    model = args.model or default_model()
    try:
        card = ensure_export(model, resolve_model_path(model), args.encoder, MODELS_DIR)
    except ModelUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(card, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
