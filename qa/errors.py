"""Error types of the qa package.

Each carries a message a person can act on; the edges (CLI, app) print it
instead of a traceback.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class: anything the user can fix by doing what the message says."""


class IndexNotBuilt(QAError):
    """No index at the given folder."""


class IndexMismatch(QAError):
    """The index on disk does not match this code or the requested settings."""


class IndexDamaged(QAError):
    """Index files are missing, truncated or edited."""


class BuildLocked(QAError):
    """Another build holds the index lock."""


class UnsupportedDocument(QAError):
    """A file that cannot be read as a document (type, encoding, no text)."""


class InvalidQuestion(QAError):
    """An empty, too long or otherwise unusable question."""


class ModelUnavailable(QAError):
    """The embedding model cannot be loaded offline."""


class InvalidQuestionFile(QAError):
    """A --queries or --questions file that cannot be read."""
