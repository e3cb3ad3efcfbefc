"""The suites of the optional extra (requirements-cluster.txt), run by `make test-cluster`.

Asked for by marker (`pytest -m cluster`), they must not pass by skipping: a
run that selects them without the extra installed stops with what to install."""

from __future__ import annotations

import importlib.util

import pytest

EXTRA_MODULES = ("ray", "pymilvus", "milvus_lite", "onnx", "onnxruntime", "openvino")


def pytest_configure(config: pytest.Config) -> None:
    marker = config.getoption("-m") or ""
    if "cluster" in marker and "not cluster" not in marker:
        missing = [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]
        if missing:
            raise pytest.UsageError(f"The cluster suites need {', '.join(missing)}: run `make setup-cluster` "
                                    "(pip install -r requirements-cluster.txt) first.")
