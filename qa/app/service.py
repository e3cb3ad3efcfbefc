"""The product behind a front end: one shared index and model per process,
asking in a conversation, adding uploads.

Kept out of app.py so the page stays thin and all of this is testable.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer.conversation import Conversation
from qa.answer.verdict import AnswerSettings, ask
from qa.errors import QAError, UnsupportedDocument
from qa.index.build import BuildReport, ProgressFn, build_index
from qa.index.embed import Embedder, default_model, embedder_for_index, make_embedder
from qa.index.store import current_build, load_index, read_index_manifest
from qa.records import Answer, Document
from qa.search.filters import Filters
from qa.search.retrieve import Retriever

from .uploads import save_upload

UPLOADS_FOLDER = "uploads"
log = logging.getLogger(__name__)


@dataclass
class Turn:
    asked: str
    understood: str
    answer: Answer


@dataclass
class Chat:
    """One user's conversation (kept in the browser session)."""

    conversation: Conversation = field(default_factory=Conversation)
    turns: list[Turn] = field(default_factory=list)


class Service:
    """Shared by every session of a server process. Queries read the current
    retriever; an upload, or a build published by another process (`qa
    build`), brings in a new index by swapping the retriever in one
    assignment, so a query sees the old collection or the new one."""

    def __init__(self, index_dir: Path, docs_dir: Path, *, embedder: Embedder | None = None,
                 model: str | None = None):
        # Absolute: saved uploads are named relative to the documents folder (QA_DOCS=seeds by default).
        self.index_dir, self.docs_dir = Path(index_dir).resolve(), Path(docs_dir).resolve()
        manifest = read_index_manifest(self.index_dir)
        # The live index's model on its encoder; a new index, the product's defaults.
        self.embedder = embedder or (
            embedder_for_index(manifest) if manifest else make_embedder(model or default_model())
        )
        self._build_lock = threading.Lock()
        self._unloadable: Path | None = None  # a published build that failed to load
        self.last_build: BuildReport | None = None
        if self.docs_dir.is_dir():
            self.last_build = build_index([self.docs_dir], self.index_dir, embedder=self.embedder)
        self.retriever = Retriever(load_index(self.index_dir), self.embedder)

    @property
    def documents(self) -> list[Document]:
        return self.retriever.index.documents

    def document(self, doc_id: str) -> Document | None:
        """A document of the current collection (None if it has since been removed)."""
        return self.retriever.index.document(doc_id)

    def refresh(self) -> None:
        """Serve the live build if another process has published a newer one.
        Reading the pointer costs microseconds; a damaged new build is not
        served (the one in memory stays) until a build repairs it."""
        if current_build(self.index_dir) in (None, self.retriever.index.folder, self._unloadable):
            return
        with self._build_lock:
            live = current_build(self.index_dir)
            if live not in (None, self.retriever.index.folder, self._unloadable):
                try:
                    self.retriever = Retriever(load_index(self.index_dir), self.embedder)
                except QAError as e:
                    self._unloadable = live  # not tried again on every question
                    log.warning("Kept serving %s: the new build could not be loaded (%s)",
                                self.retriever.index.folder, e)

    def ask(self, chat: Chat, question: str, *, filters: Filters | None = None, max_quotes: int = 4) -> Turn:
        self.refresh()
        understood = chat.conversation.resolve(question, self.retriever.gazetteer)
        answer = ask(self.retriever, understood, settings=AnswerSettings(max_quotes=max_quotes), filters=filters)
        turn = Turn(question, understood, answer)
        chat.turns.append(turn)
        return turn

    def add_files(
        self, files: list[tuple[str, bytes]], *, progress: ProgressFn | None = None
    ) -> tuple[BuildReport | None, list[tuple[str, str]]]:
        """Save uploads into the collection and index them; (report, rejected)."""
        rejected: list[tuple[str, str]] = []
        saved = []
        for name, data in files:
            try:
                saved.append(save_upload(self.docs_dir / UPLOADS_FOLDER, name, data))
            except UnsupportedDocument as e:
                rejected.append((name, str(e)))
        if not saved:
            return None, rejected
        with self._build_lock:
            report = build_index([self.docs_dir], self.index_dir, embedder=self.embedder, progress=progress)
            self.retriever = Retriever(load_index(self.index_dir), self.embedder)
        for path in saved:
            rel = path.relative_to(self.docs_dir).as_posix()
            reason = next((r for f, r in report.skipped if f == rel), None)
            if reason:
                rejected.append((path.name, reason))
                path.unlink(missing_ok=True)  # a file that cannot be indexed does not stay in the collection
        self.last_build = report
        return report, rejected


def open_retriever(
    index_dir: Path, docs_dir: Path, *, model: str | None = None
) -> tuple[Retriever, BuildReport | None]:
    """A Retriever over `index_dir`, building it from `docs_dir` when it is
    missing or stale; returns the build report when a build ran."""
    service = Service(index_dir, docs_dir, model=model)
    return service.retriever, service.last_build

