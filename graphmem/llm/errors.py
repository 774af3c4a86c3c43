"""Errors of the LLM layer: a request that could not be completed, a reply that held no JSON."""

from __future__ import annotations

from graphmem.errors import GraphMemError


class LLMError(GraphMemError):
    """A chat completion could not be obtained.

    Raised after the retry budget is spent on transient failures (429, 5xx, timeouts, connection
    errors), at once for failures retrying cannot fix (401, 404, a 400 on a plain request), and
    for configuration that cannot reach any endpoint (no API key). ``endpoint`` is the URL that
    was called, ``status`` the last HTTP status (``None`` when no response arrived) and
    ``attempts`` how many HTTP requests were sent for this completion.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.attempts = attempts


class ParseError(GraphMemError, ValueError):
    """A model reply contained nothing usable of the expected shape.

    ``preview`` holds the start of the offending text, so logs show what the model said.
    """

    def __init__(self, message: str, *, text: str = "") -> None:
        self.preview = preview(text)
        super().__init__(f"{message}: {self.preview!r}" if text else message)


def preview(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (for logs and errors)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
