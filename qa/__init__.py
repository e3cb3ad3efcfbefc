"""Cited question answering over inspection reports.

The data flow, one module per step:
load (load, clean, article) -> segment -> chunk -> embed -> store (dense,
lexical) -> retrieve -> quote (cite) -> answer; evaluation (questions, beir,
evaluate, metrics, eval_report, testing) and cli on top.
"""
from __future__ import annotations

from . import openmp  # noqa: F401  (first: sets how OpenMP threads wait, before torch and faiss load)
from .answer import AnswerSettings, ask
from .build import BuildReport, build_index, build_index_from_documents
from .chunk import ChunkSettings
from .embed import DEFAULT_MODEL, Embedder, SentenceTransformerEmbedder
from .errors import (
    BuildLocked,
    IndexDamaged,
    IndexMismatch,
    IndexNotBuilt,
    InvalidQuestion,
    InvalidQuestionFile,
    ModelUnavailable,
    QAError,
    UnsupportedDocument,
)
from .evaluate import Evaluation, Suite, evaluate, suite_from_questions
from .questions import Evidence, QuestionItem, read_queries
from .records import Answer, Block, Chunk, Document, Passage, Sentence
from .retrieve import RetrievalSettings, Retriever
from .service import open_retriever
from .store import LoadedIndex, load_index
from .testing import assert_retrieval, open_suite

__all__ = [
    "DEFAULT_MODEL", "Answer", "AnswerSettings", "Block", "BuildLocked", "BuildReport", "Chunk",
    "ChunkSettings", "Document", "Embedder", "IndexDamaged", "IndexMismatch", "IndexNotBuilt",
    "InvalidQuestion", "InvalidQuestionFile", "LoadedIndex", "ModelUnavailable", "Passage", "QAError",
    "RetrievalSettings", "Retriever", "Sentence", "SentenceTransformerEmbedder", "UnsupportedDocument",
    "ask", "build_index", "load_index", "open_retriever",
    # evaluation
    "Evaluation", "Evidence", "QuestionItem", "Suite", "assert_retrieval", "build_index_from_documents", "evaluate",
    "open_suite", "read_queries", "suite_from_questions",
]
