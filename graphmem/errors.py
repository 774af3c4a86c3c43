"""Exception hierarchy. Every error graphmem raises on purpose derives from :class:`GraphMemError`."""

from __future__ import annotations


class GraphMemError(Exception):
    """Base class for all graphmem errors."""


class InputError(GraphMemError, ValueError):
    """Bad user input: empty text, undecodable file, malformed record.

    ``source`` names the input (a file path or ``"add() item 3"``) and ``line`` the 1-based
    line number when the input is line-oriented.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(f"{where}{message}")
        self.source = source
        self.line = line
        self.reason = message


class NotFoundError(GraphMemError, KeyError):
    """A document id that is not in the store."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "not found"


class ConflictError(GraphMemError):
    """A document id already stored with different content."""


class EmbedderMismatchError(GraphMemError):
    """The store was built with a different embedding model or dimension."""


class StoreError(GraphMemError):
    """The store file is unusable (wrong schema version, not a graphmem store, ...)."""


class CacheError(GraphMemError):
    """The on-disk extraction/embedding cache is unusable (corrupt file, another program's file,
    unknown cache version); the message names the file."""


class MissingDependencyError(GraphMemError, ImportError):
    """An optional dependency is not installed; the message says which extra provides it."""


class ModelNotFoundError(GraphMemError):
    """A spaCy pipeline or sentence-transformers model could not be resolved offline."""
