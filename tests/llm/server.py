"""A scripted OpenAI-compatible server for tests and benchmarks (stdlib only, no model).

``FakeOpenAIServer`` listens on 127.0.0.1 (a free port) in a background thread and answers
``POST /v1/chat/completions``. What each request gets is decided by, in order:

1. ``reject_json_schema=True``: a request whose ``response_format`` is a JSON schema gets 400
   (like a server without structured outputs);
2. the queue of :class:`Reply` objects given as ``script`` or added with :meth:`push`, first in
   first out;
3. ``responder(request) -> Reply``, a callable that can look at the request body;
4. otherwise HTTP 410 "no scripted reply left", which the client does not retry, so an
   unexpected extra call fails the test loudly.

A :class:`Reply` normally becomes a chat-completion JSON body (or an error body); one made with
:meth:`Reply.raw` is sent byte for byte instead, for broken servers and proxies (an HTML page,
a body cut short).

Every request is recorded (body, arrival and departure times, status) and the largest number
of requests inside the handler at once is tracked in :attr:`max_in_flight`. ``delay_s`` adds a
fixed latency to every call (for throughput benchmarks); a reply's own ``delay_s`` adds to it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: the assistant text for a 200, or an error status with headers."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    finish_reason: str = "stop"
    prompt_tokens: int = 10
    completion_tokens: int = 5
    error: str = ""
    body: bytes | None = None
    content_type: str = "application/json"

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        """A successful reply whose message content is ``content``."""
        return cls(content=content, **kwargs)

    @classmethod
    def json(cls, value: Any, **kwargs: Any) -> Reply:
        """A successful reply whose content is ``value`` serialised as JSON."""
        return cls(content=json.dumps(value), **kwargs)

    @classmethod
    def raw(cls, body: bytes, content_type: str, status: int = 200, **kwargs: Any) -> Reply:
        """A reply whose HTTP body is exactly ``body`` (not a chat completion)."""
        return cls(status=status, body=body, content_type=content_type, **kwargs)

    @classmethod
    def fail(cls, status: int, message: str = "scripted failure", **kwargs: Any) -> Reply:
        """An error reply; pass ``headers={"Retry-After": "0.2"}`` for a 429 with a hint."""
        return cls(status=status, error=message, **kwargs)


@dataclass
class RecordedRequest:
    """A request as the server saw it."""

    path: str
    body: dict[str, Any]
    t_in: float
    t_out: float | None = None
    status: int | None = None

    @property
    def last_user_message(self) -> str:
        messages = self.body.get("messages") or []
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        return users[-1] if users else ""


class FakeOpenAIServer:
    """See the module docstring. Use as a context manager or call :meth:`start`/:meth:`stop`."""

    def __init__(
        self,
        script: Iterable[Reply] = (),
        *,
        responder: Callable[[RecordedRequest], Reply] | None = None,
        delay_s: float = 0.0,
        reject_json_schema: bool = False,
    ) -> None:
        self.responder = responder
        self.delay_s = delay_s
        self.reject_json_schema = reject_json_schema
        self._queue: deque[Reply] = deque(script)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        handler = _make_handler(self)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # slow handlers must not hold up stop()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---- script and records -------------------------------------------------------------------

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _begin(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            if self.reject_json_schema and _wants_json_schema(request.body):
                return Reply.fail(400, "response_format json_schema is not supported")
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply.fail(410, "no scripted reply left")

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _wants_json_schema(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") == "json_schema"


def _completion_body(request: RecordedRequest, reply: Reply) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{id(request)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm the body then waits for
        # the client's delayed ACK (~40 ms per call), which would swamp throughput measurements.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_unparseable": raw.decode("utf-8", "replace")}
            request = RecordedRequest(self.path, body, time.monotonic())
            if self.path != CHAT_PATH:
                reply = Reply.fail(404, f"unknown path {self.path}")
                with server._lock:
                    server._requests.append(request)
                    server._in_flight += 1
            else:
                reply = server._begin(request)
            time.sleep(server.delay_s + reply.delay_s)
            if reply.body is not None:
                data = reply.body
            elif reply.status == 200:
                data = json.dumps(_completion_body(request, reply)).encode("utf-8")
            else:
                error = {"error": {"message": reply.error, "type": "fake_error", "code": None}}
                data = json.dumps(error).encode("utf-8")
            request.status = reply.status
            # Leave the in-flight count before answering: once the client has the reply it may
            # send its next request, which must not be counted alongside this one.
            server._end()
            request.t_out = time.monotonic()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler
