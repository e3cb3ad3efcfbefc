"""Cited question answering over inspection reports.

The packages follow the data flow:
    ingest/    files -> documents (load, clean, pdf, html, docx, article, manifest,
               gazetteer) -> sentences (segment) -> chunks (chunk)
    index/     sentences and chunks -> vectors (embed, adapt) -> FAISS and BM25
               (dense, lexical, sentence_facts) -> on disk (build, store)
    search/    question (query, scope, filters) -> ranked candidates (retrieve,
               features, ranker) -> verbatim quotes with citations (quote, cite)
    answer/    quotes -> an answer, related passages or nothing (verdict);
               follow-ups (conversation); display and export (present, export)
    evaluate/  judged questions and BEIR sets -> runs -> metrics and reports
    app/       what the Streamlit front end stands on (service, uploads, access)
    bench/     benchmarks and scale runs (not product code)
Loose modules: cli (python -m qa), records (the typed records passed between
stages), errors, openmp. This module is the public API: import from `qa`.
"""
from __future__ import annotations

from . import openmp  # noqa: F401  (first: sets how OpenMP threads wait, before torch and faiss load)
from .answer.verdict import AnswerSettings, ask
from .app.service import open_retriever
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
from .evaluate.judgments import Evidence, QuestionItem, read_queries
from .evaluate.suite import Evaluation, Suite, evaluate, suite_from_questions
from .evaluate.testing import assert_retrieval, open_suite
from .index.build import BuildReport, build_index, build_index_from_documents
from .index.embed import DEFAULT_MODEL, Embedder, SentenceTransformerEmbedder
from .index.store import LoadedIndex, load_index
from .ingest.chunk import ChunkSettings
from .records import Answer, Block, Chunk, Document, Passage, Sentence
from .search.retrieve import RetrievalSettings, Retriever

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
