"""The public API: what `import qa` promised before the package was split
into subpackages, each name still there and still the object its module defines."""
from __future__ import annotations

import importlib
import subprocess
import sys

import qa

# name -> the module that defines it (the subpackage layout; see qa/__init__.py)
PUBLIC_API = {
    "DEFAULT_MODEL": "qa.index.embed", "Embedder": "qa.index.embed",
    "SentenceTransformerEmbedder": "qa.index.embed",
    "BuildReport": "qa.index.build", "build_index": "qa.index.build",
    "build_index_from_documents": "qa.index.build",
    "LoadedIndex": "qa.index.store", "load_index": "qa.index.store",
    "ChunkSettings": "qa.ingest.chunk",
    "RetrievalSettings": "qa.search.retrieve", "Retriever": "qa.search.retrieve",
    "AnswerSettings": "qa.answer.verdict", "ask": "qa.answer.verdict",
    "open_retriever": "qa.app.service",
    "Evaluation": "qa.evaluate.suite", "Suite": "qa.evaluate.suite", "evaluate": "qa.evaluate.suite",
    "suite_from_questions": "qa.evaluate.suite",
    "Evidence": "qa.evaluate.judgments", "QuestionItem": "qa.evaluate.judgments",
    "read_queries": "qa.evaluate.judgments",
    "assert_retrieval": "qa.evaluate.testing", "open_suite": "qa.evaluate.testing",
    "Answer": "qa.records", "Block": "qa.records", "Chunk": "qa.records", "Document": "qa.records",
    "Passage": "qa.records", "Sentence": "qa.records",
    "BuildLocked": "qa.errors", "IndexDamaged": "qa.errors", "IndexMismatch": "qa.errors",
    "IndexNotBuilt": "qa.errors", "InvalidQuestion": "qa.errors", "InvalidQuestionFile": "qa.errors",
    "ModelUnavailable": "qa.errors", "QAError": "qa.errors", "UnsupportedDocument": "qa.errors",
}


def test_every_public_name_is_exported_and_is_its_modules_object():
    assert set(qa.__all__) == set(PUBLIC_API)
    for name, module in PUBLIC_API.items():
        assert getattr(qa, name) is getattr(importlib.import_module(module), name), name


def test_star_import_gives_the_public_names_only():
    namespace: dict = {}
    exec("from qa import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(PUBLIC_API)


def test_errors_share_one_base_so_callers_can_catch_them_all():
    for name in PUBLIC_API:
        obj = getattr(qa, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, qa.QAError), name


def test_command_line_keeps_its_commands():
    out = subprocess.run([sys.executable, "-m", "qa", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("build", "search", "ask", "eval", "adapt", "train-ranker", "bench"):
        assert f"    {command} " in out or f"    {command}\n" in out, command
