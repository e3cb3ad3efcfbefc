"""Child process for the crash tests: builds one index over and over,
alternating between two collections, until it is killed.

    python tests/index/build_loop.py INDEX_DIR DOCS_A DOCS_B [--once]

Prints "ready" once imported and "built <n>" after each published build, so
the parent can kill it at a random moment of a build (the fake embedder keeps
a build short, so most of its time is spent writing and publishing: the
moments a crash could damage anything). --once builds DOCS_A one time.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: conftest

from conftest import FakeEmbedder  # noqa: E402

from qa.index.build import build_index  # noqa: E402


def main() -> None:
    index_dir, docs_a, docs_b = (Path(a) for a in sys.argv[1:4])
    embedder = FakeEmbedder()
    print("ready", flush=True)
    collections = [docs_a] if "--once" in sys.argv else [docs_a, docs_b]
    n = 0
    while True:
        build_index([collections[n % len(collections)]], index_dir, embedder=embedder)
        n += 1
        print(f"built {n}", flush=True)
        if "--once" in sys.argv:
            return


if __name__ == "__main__":
    main()
