"""Server parts without a process or models: token loading, settings, 500s as JSON."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from graphmem.server.app import create_app
from graphmem.server.auth import load_tokens, token_ok
from graphmem.server.errors import field_path
from graphmem.server.settings import ServerSettings, is_loopback


def test_tokens_from_file_and_env(tmp_path):
    f = tmp_path / "tokens"
    f.write_text("# comment\n a \n\nb\n")
    assert load_tokens(f, {"GRAPHMEM_TOKENS": "c, a ,"}) == ("a", "b", "c")
    assert load_tokens(None, {}) == ()
    f.write_text("two tokens\n")
    with pytest.raises(ValueError, match="whitespace"):
        load_tokens(f, {})
    assert token_ok("Bearer b", ("a", "b")) and token_ok("bearer a", ("a",))
    assert not any(token_ok(h, ("a",)) for h in (None, "", "a", "Bearer", "Bearer ab", "Basic a"))


def test_loopback_rule():
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "example.org"]))
    with pytest.raises(ValueError, match="refusing to bind"):
        ServerSettings(host="0.0.0.0").check()
    ServerSettings(host="0.0.0.0", tokens=("t",)).check()


def test_field_paths():
    assert field_path(("body", "documents", 3, "text")) == "documents[3].text"
    assert field_path(("body",)) == "body"
    assert field_path(("query", "top_k")) == "top_k"


class _Broken:
    """A service whose every call fails as a bug would."""

    ready = True

    async def read(self, fn):
        raise RuntimeError("secret internals")

    write = read

    def close(self) -> None:
        pass


def test_crash_is_json_without_internals():
    app = create_app(_Broken(), ServerSettings())  # type: ignore[arg-type]

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get("/v1/stats")

    r = asyncio.run(call())
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": "internal server error",
                                  "field": None}}
