"""Errors raised by the visualization layer; all derive from :class:`graphmem.GraphMemError` so
the CLI reports them the same way as engine errors."""

from __future__ import annotations

from graphmem.errors import GraphMemError


class VizError(GraphMemError):
    """A visualization request that cannot be served (bad arguments, unusable output path)."""


class UnknownEntityError(VizError, LookupError):
    """An ``--entity`` name that is not in the memory. ``suggestions`` holds close names."""

    def __init__(self, name: str, normalized: str, suggestions: tuple[str, ...]):
        hint = (
            "; close names: " + ", ".join(repr(s) for s in suggestions)
            if suggestions
            else "; no similar names found"
        )
        super().__init__(
            f"no entity named {name!r} (normalised {normalized!r}) in the memory{hint}"
        )
        self.name = name
        self.normalized = normalized
        self.suggestions = suggestions
