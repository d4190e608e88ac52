"""Errors Chancery reports to users: each names the file (and line where known)."""

from __future__ import annotations


class ChanceryError(Exception):
    """Base class for errors shown to users as one clear line."""


class SourceError(ChanceryError):
    """A file that could not be read: names the file, the line where known, and the reason."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


class QueryError(ChanceryError):
    """A malformed search query: says where it went wrong."""

    def __init__(self, message: str, position: int | None = None, query: str | None = None) -> None:
        self.message = message
        self.position = position
        self.query = query
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.position is None or self.query is None:
            return self.message
        return f"{self.message} at position {self.position + 1}: {self.query[: self.position]}⟨here⟩{self.query[self.position :]}"


class NotFound(ChanceryError):
    """An id that is not in the archive."""


class SemanticUnavailable(ChanceryError):
    """The `semantic` extra (onnxruntime + model weights) is not installed."""


class NotAllowed(ChanceryError):
    """The viewer may not make this change (a reader, someone else's annotation, a foreign group)."""


class JudgmentError(ChanceryError):
    """An entity judgment that cannot be made (merging an entity into itself, an unknown mention)."""


class LoginRefused(ChanceryError):
    """Wrong user name or password (the message never says which)."""


class TooManyAttempts(ChanceryError):
    """Too many failed logins for one user from one address: refused for a while."""
