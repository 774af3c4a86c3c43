"""Configuration of the OpenAI-compatible client (any server speaking ``/v1/chat/completions``).

Endpoint and key follow the openai package's conventions: unset fields fall back to the
``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` environment variables. The model likewise falls back
to ``GRAPHMEM_LLM_MODEL``, so one environment names endpoint, key and model for every command
and for library code. Local servers (vLLM, Ollama, llama.cpp) usually ignore the key, so when an
endpoint is given and no key is found anywhere a placeholder is sent instead of failing.

A leaf module outside :mod:`graphmem.llm`, so that :class:`graphmem.config.MemoryConfig` can name
it without ``import graphmem`` loading the LLM package (which imports it from here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "LOCAL_API_KEY", "MODEL_ENV", "LLMConfig"]

#: Used when neither ``LLMConfig.base_url`` nor ``OPENAI_BASE_URL`` is set.
DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Environment variable naming the model when ``LLMConfig.model`` is not given.
MODEL_ENV = "GRAPHMEM_LLM_MODEL"
#: Used when neither ``LLMConfig.model`` nor ``GRAPHMEM_LLM_MODEL`` is set: a small and cheap
#: OpenAI model.
DEFAULT_MODEL = "gpt-4o-mini"
#: Key sent to an explicitly configured endpoint when no key is configured: local servers need
#: some value in the Authorization header but do not check it.
LOCAL_API_KEY = "not-needed"


@dataclass(frozen=True)
class LLMConfig:
    """How to reach the model and how hard to try.

    * ``model``: model name as the server knows it. Default: ``$GRAPHMEM_LLM_MODEL`` when set
      (read when the config is created), else :data:`DEFAULT_MODEL`; set it to whatever your
      server serves.
    * ``base_url``: API root ending in ``/v1``; ``None`` reads ``OPENAI_BASE_URL``, then
      :data:`DEFAULT_BASE_URL`.
    * ``api_key``: ``None`` reads ``OPENAI_API_KEY``; failing that, :data:`LOCAL_API_KEY` is used
      when an endpoint was configured, otherwise the client refuses to start. Kept out of
      ``repr`` so configs can be logged.
    * ``max_concurrency`` (8): requests in flight at once per client; enough to keep a hosted API
      busy without tripping typical per-minute rate limits, and a local server queues the rest.
    * ``max_retries`` (5): extra attempts after a transient failure (429, 5xx, timeout,
      connection error). With the default backoff the waits are at most 0.5, 1, 2, 4 and 8 s.
    * ``timeout_s`` (60): per-request read/connect timeout; a timed-out request is retried. A
      server that never answers is given up on after about ``(max_retries + 1) * timeout_s``
      plus the backoff waits (6 minutes with the defaults): lower both for interactive use
      (the CLI's ``--llm-timeout`` / ``--llm-retries``).
    * ``backoff_base_s`` (0.5), ``backoff_max_s`` (30): attempt *n* (0-based) waits a uniformly
      random time in ``[0, min(backoff_max_s, backoff_base_s * 2**n)]`` ("full jitter"), unless
      the server sent ``Retry-After``, which is obeyed up to ``retry_after_max_s`` (120).
    * ``temperature`` (0.0): greedy decoding, so extraction is repeatable and cacheable.
    * ``max_tokens`` (2048): reply budget per call; a 200-token passage rarely needs a quarter
      of it, and a reply cut at the limit is still parsed for its complete elements.
    * ``seed`` (``None``): sent only when set; some servers make sampling reproducible with it.
    * ``cache`` (True): keep replies in the SQLite response cache when the client is given a
      cache path; identical requests are then answered without any HTTP call.
    """

    model: str = field(default_factory=lambda: os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_concurrency: int = 8
    max_retries: int = 5
    timeout_s: float = 60.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0
    temperature: float = 0.0
    max_tokens: int | None = 2048
    seed: int | None = None
    cache: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError(f"LLMConfig.model must be a non-empty string, got {self.model!r}")
        if self.max_concurrency < 1:
            raise ValueError(f"LLMConfig.max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.max_retries < 0:
            raise ValueError(f"LLMConfig.max_retries must be >= 0, got {self.max_retries}")
        for name in ("timeout_s", "backoff_max_s", "retry_after_max_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"LLMConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.backoff_base_s < 0:
            raise ValueError(f"LLMConfig.backoff_base_s must be >= 0, got {self.backoff_base_s}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"LLMConfig.max_tokens must be >= 1 or None, got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"LLMConfig.temperature must be in [0, 2], got {self.temperature}")

    @classmethod
    def from_options(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        timeout_s: float | None = None,
        max_retries: int | None = None,
    ) -> LLMConfig:
        """A config from command-line style options, where ``None`` means "not given": that
        field keeps its default (and environment fallback)."""
        given = {"model": model, "base_url": base_url, "timeout_s": timeout_s}
        given["max_retries"] = max_retries
        return cls(**{name: value for name, value in given.items() if value is not None})

    def resolved_base_url(self) -> str:
        """The API root actually used: the field, else ``OPENAI_BASE_URL``, else OpenAI's."""
        url = self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        return url.rstrip("/")

    def resolved_api_key(self) -> str:
        """The key actually sent (see the class docstring for the fallbacks).

        Raises:
            LLMError: no key is configured and the endpoint is OpenAI's default.
        """
        key = self.api_key or os.environ.get("OPENAI_API_KEY")
        if key:
            return key
        if self.base_url or os.environ.get("OPENAI_BASE_URL"):
            return LOCAL_API_KEY
        from graphmem.llm.errors import LLMError

        raise LLMError(
            f"no API key for {DEFAULT_BASE_URL}: set LLMConfig.api_key or OPENAI_API_KEY, "
            "or set LLMConfig.base_url / OPENAI_BASE_URL to a local OpenAI-compatible server",
            endpoint=DEFAULT_BASE_URL,
        )
