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
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            return await c.get("/v1/stats")

    r = asyncio.run(call())
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": "internal server error",
                                  "field": None}}


def test_token_bindings_from_lines_json_and_env(tmp_path):
    from graphmem.server.auth import Grant, NamespaceDenied, grant_for, read_tokens

    f = tmp_path / "tokens"
    f.write_text("# tenants\nadmin\nta: alpha\ntab:beta , alpha,beta\n")
    env = {"GRAPHMEM_TOKENS": "tc:gamma, plain"}
    assert read_tokens(f, env) == {"admin": None, "ta": ("alpha",), "tab": ("beta", "alpha"),
                                   "tc": ("gamma",), "plain": None}
    f.write_text('{"admin": null, "odd": ["a,b", "c:d"]}')
    assert read_tokens(f, {}) == {"admin": None, "odd": ("a,b", "c:d")}
    assert read_tokens(None, {"GRAPHMEM_TOKENS": '{"x": ["n"]}'}) == {"x": ("n",)}
    for text, problem in [("ta:\n", "at least one namespace"),
                          ("ta: alpha\nta: beta\n", "given twice with different namespaces"),
                          ("two tokens: alpha\n", "whitespace"),
                          ('{"t": "alpha"}', "list of strings or null"),
                          ("t: al\x01pha\n", "control")]:
        f.write_text(text)
        with pytest.raises(ValueError, match=problem):
            read_tokens(f, {})
    f.write_text("ta: alpha\nta: beta\n")
    with pytest.raises(ValueError, match=f"{f}:2"):  # names the file and line
        read_tokens(f, {})
    bindings = {"ta": ("alpha", "beta")}
    assert grant_for("Bearer ta", ("ta", "admin"), bindings) == Grant(("alpha", "beta"))
    assert grant_for("Bearer admin", ("ta", "admin"), bindings) == Grant(None)
    assert grant_for("Bearer nope", ("ta", "admin"), bindings) is None
    assert grant_for(None, (), {}) == Grant(None)  # no tokens: a loopback server, no auth
    g = Grant(("alpha", "beta"))
    assert (g.namespace(None), g.namespace("beta")) == ("alpha", "beta")
    with pytest.raises(NamespaceDenied, match="'default'"):
        g.namespace("default")
    assert g.visible(["alpha", "default", "beta"]) == ["alpha", "beta"]
    assert Grant().namespace(None) == "default" and Grant().visible(["x"]) == ["x"]
