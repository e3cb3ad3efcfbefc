"""OpenMP's idle threads must sleep, not spin, before torch or faiss loads (qa/openmp.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Records the wait policy in force when faiss, then torch, is first imported.
SPY = """
import os, sys
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name in ("faiss", "torch"):
            print(name, os.environ.get("OMP_WAIT_POLICY"))
        return None
sys.meta_path.insert(0, Spy())
import qa
import torch
"""


def _policies(env: dict) -> list[str]:
    out = subprocess.run([sys.executable, "-c", SPY], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.split("\n")


def test_threads_sleep_before_faiss_and_torch_load():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    lines = _policies(env)
    assert "faiss PASSIVE" in lines and "torch PASSIVE" in lines, lines


def test_a_policy_set_in_the_environment_is_kept():
    lines = _policies({**os.environ, "OMP_WAIT_POLICY": "ACTIVE"})
    assert "faiss ACTIVE" in lines and "torch ACTIVE" in lines, lines
