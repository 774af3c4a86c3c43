"""Thread-safe counters of what a client spent: HTTP calls, cache hits, tokens, retries."""

from __future__ import annotations

import threading

__all__ = ["Usage"]

_FIELDS = ("calls", "cache_hits", "prompt_tokens", "completion_tokens", "retries", "failures")


class Usage:
    """Running totals for one :class:`~graphmem.llm.client.LLMClient`.

    * ``calls``: HTTP requests sent, every attempt counted (a 500 followed by a success is 2);
    * ``cache_hits``: completions answered from the response cache (no HTTP call);
    * ``prompt_tokens`` / ``completion_tokens``: as reported by the server for successful calls
      (cache hits cost nothing and add nothing);
    * ``retries``: attempts repeated after a transient failure (429, 5xx, timeout, connection);
    * ``failures``: completions given up with :class:`~graphmem.llm.errors.LLMError`, plus
      replies that arrived but that the request's check rejected as unusable (not cached;
      see :data:`~graphmem.llm.request.ReplyCheck`).

    Updated from worker threads, so every change takes a lock; read a consistent snapshot
    with :meth:`as_dict`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.cache_hits = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.retries = 0
        self.failures = 0

    def add(
        self,
        *,
        calls: int = 0,
        cache_hits: int = 0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        retries: int = 0,
        failures: int = 0,
    ) -> None:
        """Add to the counters atomically."""
        with self._lock:
            self.calls += calls
            self.cache_hits += cache_hits
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.retries += retries
            self.failures += failures

    def as_dict(self) -> dict[str, int]:
        """A consistent snapshot of all counters."""
        with self._lock:
            return {name: getattr(self, name) for name in _FIELDS}

    def reset(self) -> None:
        """Set every counter back to zero (for measuring one phase of a run)."""
        with self._lock:
            for name in _FIELDS:
                setattr(self, name, 0)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"Usage({inner})"
