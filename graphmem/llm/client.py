"""A chat-completion client for any OpenAI-compatible server, built for batch extraction.

What it adds over the bare ``openai`` package:

* **retries we control**: the openai client runs with ``max_retries=0``; this client retries
  429, 408 and 5xx replies, timeouts and connection errors with exponential backoff and full
  jitter, obeys ``Retry-After`` / ``Retry-After-Ms``, stops after ``max_retries`` and then
  raises :class:`~graphmem.llm.errors.LLMError` naming the endpoint and the last status;
* **bounded concurrency**: :meth:`LLMClient.complete_many` runs requests on a thread pool, and
  a semaphore shared by every call on the client keeps at most ``max_concurrency`` HTTP
  requests in flight (retry waits do not hold a slot);
* **a persistent response cache** (:mod:`graphmem.llm.cache`): an identical request is answered
  from disk with no HTTP call;
* **structured-output fallback**: when a server answers 400 to a request carrying a
  ``response_format`` and accepts the same request without it, the client stops sending
  ``response_format`` (for its lifetime) and callers rely on tolerant parsing
  (:mod:`graphmem.llm.parse`);
* **usable replies only in the cache**: a request may carry a check
  (:data:`~graphmem.llm.request.ReplyCheck`); a reply it rejects is returned flagged, never
  cached, and counted as a failure, so fixing the server and asking again reaches the model;
* **its own reading of the HTTP body** (:mod:`graphmem.llm.reply`), so an HTML page or a cut
  JSON body fails at once with one line naming the endpoint and model and what arrived;
* **cancellation**: :meth:`LLMClient.cancel` makes every call in flight fail at once instead of
  waiting for a hanging server (each HTTP exchange runs in a daemon thread that is abandoned);
* **usage accounting** in :attr:`LLMClient.usage`.

``openai`` is imported when a client is constructed, so ``import graphmem.llm`` stays cheap.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import random
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from graphmem.closing import Closing
from graphmem.errors import MissingDependencyError
from graphmem.llm.cache import CachedReply, ResponseCache, cache_key
from graphmem.llm.cancel import Cancellation, Cancelled
from graphmem.llm.errors import LLMError, preview
from graphmem.llm.reply import NotACompletion, read_completion
from graphmem.llm.request import ChatRequest, Message, ReplyCheck, request_params
from graphmem.llm.retry import backoff_delay, is_retryable, retry_after_seconds
from graphmem.llm.usage import Usage
from graphmem.llm_config import LLMConfig

__all__ = ["ChatRequest", "Completion", "LLMClient", "Message", "ReplyCheck"]

log = logging.getLogger(__name__)


def _import_openai() -> ModuleType:
    try:
        import openai
    except ImportError as exc:
        raise MissingDependencyError(
            "the LLM client needs the openai package: pip install 'graphmem[llm]'"
        ) from exc
    return openai


@dataclass(frozen=True)
class Completion:
    """A model reply: its text, token counts, whether it came from the cache, the server's
    ``finish_reason`` (``"length"`` means the reply was cut at ``max_tokens``) and, when the
    request's check rejected the text, why (``rejected``; such a reply was not cached)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    finish_reason: str | None = None
    rejected: str | None = None

    @property
    def truncated(self) -> bool:
        """True when generation stopped at the token limit."""
        return self.finish_reason == "length"


class LLMClient(Closing):
    """Chat completions against ``config``'s endpoint, with retries, a concurrency bound,
    an optional SQLite response cache at ``cache_path`` (used when ``config.cache`` is true)
    and usage counters. Thread-safe; close it (or use ``with``) to release the connection
    pool and the cache file.

    Raises:
        MissingDependencyError: the ``openai`` package is not installed.
        LLMError: no API key can be found for OpenAI's default endpoint, or the cache file is
            unusable.
    """

    def __init__(self, config: LLMConfig | None = None, cache_path: str | Path | None = None):
        self.config = config if config is not None else LLMConfig()
        self.base_url = self.config.resolved_base_url()
        #: The URL requests go to, used in logs and errors.
        self.endpoint = f"{self.base_url}/chat/completions"
        api_key = self.config.resolved_api_key()
        self._openai = _import_openai()
        self._cache: ResponseCache | None = None
        if self.config.cache and cache_path is not None:
            self._cache = ResponseCache(cache_path)
        self._client = self._openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key,
            max_retries=0,  # ours are the only retries
            timeout=self.config.timeout_s,
        )
        self._slots = threading.BoundedSemaphore(self.config.max_concurrency)
        self._cancellation = Cancellation()
        self._format_supported = True
        self._format_lock = threading.Lock()
        self._rng = random.Random()
        #: What this client has spent so far.
        self.usage = Usage()

    # ---- public API ---------------------------------------------------------------------------

    @property
    def supports_response_format(self) -> bool:
        """False once the server has rejected a ``response_format`` (then it is not sent)."""
        return self._format_supported

    def complete(
        self,
        messages: Sequence[Message],
        *,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        check: ReplyCheck | None = None,
    ) -> Completion:
        """One chat completion; parameters left ``None`` come from the config. With ``check``,
        a reply it rejects comes back with ``rejected`` set and is not cached.

        Raises:
            InputError: ``messages`` is empty or a message is not ``{"role": str,
                "content": str}``.
            LLMError: the request failed for good (see the module docstring), or the client
                was cancelled.
        """
        request = ChatRequest(messages, response_format, max_tokens, temperature, seed, check)
        return self._run(request_params(request, self.config, "complete()"), check)

    def complete_many(
        self, requests: Sequence[ChatRequest | Sequence[Message]]
    ) -> list[Completion]:
        """Run ``requests`` concurrently (at most ``max_concurrency`` in flight) and return their
        completions in input order. An item may be a :class:`ChatRequest` or a bare message list.

        All requests are validated before the first is sent. If one fails for good, requests not
        yet started are cancelled, running ones are awaited, and the first failure in input order
        is raised as :class:`LLMError`.
        """
        asked = [r if isinstance(r, ChatRequest) else ChatRequest(r) for r in requests]
        params = [
            (request_params(r, self.config, f"requests[{i}]"), r.check) for i, r in enumerate(asked)
        ]
        if len(params) <= 1:
            return [self._run(p, check) for p, check in params]
        workers = min(self.config.max_concurrency, len(params))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="graphmem-llm")
        try:
            futures = [pool.submit(self._run, p, check) for p, check in params]
            return [f.result() for f in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def cancel(self) -> None:
        """Make every call in flight, and every later one, raise :class:`LLMError` at once.

        For stopping promptly (Ctrl-C during a batch) while a server hangs: waiting callers are
        woken and their HTTP exchanges abandoned to daemon threads, which end at their timeout
        without holding up the process's exit. Safe from any thread, idempotent; :meth:`close`
        still releases the resources.
        """
        self._cancellation.cancel()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (every call then fails)."""
        return self._cancellation.cancelled

    def close(self) -> None:
        """Release the HTTP connection pool and the cache file."""
        self._client.close()
        if self._cache is not None:
            self._cache.close()

    def __repr__(self) -> str:
        return f"LLMClient(model={self.config.model!r}, endpoint={self.endpoint!r})"

    # ---- one request --------------------------------------------------------------------------

    def _run(self, params: dict[str, Any], check: ReplyCheck | None) -> Completion:
        """Answer from the cache, else over HTTP (then store the reply if ``check`` accepts it).

        The key is the request as asked, so after a ``response_format`` fallback the reply is
        still found under the request that carried the format.
        """
        key = cache_key(params) if self._cache is not None else None
        if key is not None and self._cache is not None:
            hit = self._cache.get(key)
            problem = None if hit is None or check is None else check(hit.text)
            if hit is not None and problem is None:
                self.usage.add(cache_hits=1)
                return Completion(
                    hit.text, hit.prompt_tokens, hit.completion_tokens, True, hit.finish_reason
                )
            if hit is not None:
                log.info("%s: cached reply is unusable (%s); asking again", self.endpoint, problem)
        completion = self._send(params)
        problem = None if check is None else check(completion.text)
        if problem is not None:
            self.usage.add(failures=1)
            return dataclasses.replace(completion, rejected=problem)
        if key is not None and self._cache is not None:
            self._cache.put(
                key,
                self.config.model,
                CachedReply(
                    completion.text,
                    completion.prompt_tokens,
                    completion.completion_tokens,
                    completion.finish_reason,
                ),
            )
        return completion

    def _send(self, params: dict[str, Any]) -> Completion:
        """POST with retries; see the module docstring for what is retried."""
        openai = self._openai
        if "response_format" in params and not self._format_supported:
            params = _without_format(params)
        attempts = retries = 0
        trying_without_format = False
        while True:
            attempts += 1
            status: int | None = None
            hint: float | None = None
            try:
                with self._slots:
                    if self._cancellation.cancelled:
                        self._cancelled_error(attempts - 1)
                    self.usage.add(calls=1)
                    create = self._client.chat.completions.with_raw_response.create
                    response = self._cancellation.call(
                        functools.partial(create, **params), "graphmem-llm-http"
                    )
            except Cancelled:
                self._cancelled_error(attempts)
            except openai.APIStatusError as exc:
                status = int(exc.status_code)
                detail = _error_detail(exc)
                if status == 400 and "response_format" in params:
                    log.warning(
                        "%s rejected response_format (HTTP 400: %s); retrying without it",
                        self.endpoint,
                        detail,
                    )
                    params = _without_format(params)
                    trying_without_format = True
                    continue
                if not is_retryable(status):
                    self._fail(f"{self.endpoint}: HTTP {status}: {detail}", status, attempts)
                hint = retry_after_seconds(exc.response.headers)
                last = f"HTTP {status}: {detail}"
            except openai.APITimeoutError:
                last = f"no reply within {self.config.timeout_s:g} s"
            except openai.APIConnectionError as exc:
                last = f"connection failed: {exc.__cause__ or exc}"
            except openai.OpenAIError as exc:
                self._fail(f"{self.endpoint}: unusable reply: {exc}", None, attempts)
            else:
                completion = self._completion(response, params, attempts)
                if trying_without_format:
                    self._disable_format()
                return completion
            if retries >= self.config.max_retries:
                self._fail(
                    f"{self.endpoint}: giving up after {attempts} attempts "
                    f"(max_retries={self.config.max_retries}); last error: {last}",
                    status,
                    attempts,
                )
            delay = self._backoff(retries, hint)
            retries += 1
            self.usage.add(retries=1)
            log.warning(
                "%s: %s; retry %d/%d in %.2f s",
                self.endpoint,
                last,
                retries,
                self.config.max_retries,
                delay,
            )
            try:
                self._cancellation.sleep(delay)
            except Cancelled:
                self._cancelled_error(attempts)

    def _completion(self, response: Any, params: dict[str, Any], attempts: int) -> Completion:
        """The Completion in a raw 200 response; a body that is not one fails for good."""
        http = response.http_response
        try:
            parts = read_completion(
                int(http.status_code), http.headers.get("content-type", ""), http.content
            )
        except NotACompletion as exc:
            self._fail(
                f"reply from {self.endpoint} (model {params['model']}) {exc}",
                int(http.status_code),
                attempts,
            )
        self.usage.add(
            prompt_tokens=parts.prompt_tokens, completion_tokens=parts.completion_tokens
        )
        if parts.finish_reason == "length":
            log.info(
                "%s: reply cut at max_tokens (%d tokens)", self.endpoint, parts.completion_tokens
            )
        return Completion(
            parts.text, parts.prompt_tokens, parts.completion_tokens, False, parts.finish_reason
        )

    def _backoff(self, retry: int, hint: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        if hint is not None:
            return min(hint, self.config.retry_after_max_s)
        return backoff_delay(
            retry, self.config.backoff_base_s, self.config.backoff_max_s, self._rng
        )

    def _disable_format(self) -> None:
        with self._format_lock:
            if self._format_supported:
                self._format_supported = False
                log.warning(
                    "%s does not accept response_format; sending requests without it and "
                    "parsing replies tolerantly",
                    self.endpoint,
                )

    def _cancelled_error(self, attempts: int) -> NoReturn:
        raise LLMError(
            f"{self.endpoint}: cancelled", endpoint=self.endpoint, status=None, attempts=attempts
        )

    def _fail(self, message: str, status: int | None, attempts: int) -> NoReturn:
        self.usage.add(failures=1)
        raise LLMError(message, endpoint=self.endpoint, status=status, attempts=attempts)


def _without_format(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "response_format"}


def _error_detail(exc: Any) -> str:
    """The server's error message when it sent one, else the exception text; one short line."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
            return preview(inner["message"])
    return preview(str(exc))
