"""Bearer tokens: where they come from, which namespaces each may use, and how a request's
token is checked.

Token table format (file given to ``--tokens``, one entry a line; blank lines and ``#``
comments skipped)::

    # no binding: every namespace
    admin-token
    # bound to namespace "alpha"
    tenant-a-token: alpha
    # bound to "alpha" and "beta"; the first is its default namespace
    shared-token: alpha, beta

or the whole file as one JSON object, for namespace names holding ``,`` or ``:``::

    {"admin-token": null, "shared-token": ["alpha", "beta"]}

``$GRAPHMEM_TOKENS`` adds entries: comma-separated ``token`` or ``token:namespace`` (one
namespace each), or a JSON object as above. A token names no whitespace; a token given twice
must be given the same binding."""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.validate import check_namespace

__all__ = [
    "TOKENS_ENV", "Grant", "NamespaceDenied", "grant_for", "load_tokens", "read_tokens",
    "token_ok",
]

TOKENS_ENV = "GRAPHMEM_TOKENS"

TokenTable = dict[str, "tuple[str, ...] | None"]
"""token -> the namespaces it is bound to (None: all)."""


class NamespaceDenied(Exception):
    """A request names a namespace its token is not bound to (answered 403)."""

    def __init__(self, namespace: str):
        super().__init__(f"this token is not allowed to use namespace {namespace!r}")
        self.namespace = namespace


@dataclass(frozen=True)
class Grant:
    """What one request's token may use: ``namespaces`` (None: every namespace)."""

    namespaces: tuple[str, ...] | None = None

    @property
    def bound(self) -> bool:
        return self.namespaces is not None

    def namespace(self, requested: str | None) -> str:
        """The namespace a request works in: ``requested``, else the token's first namespace
        (unbound: "default"). Raises NamespaceDenied for one the token is not bound to."""
        if requested is None:
            return self.namespaces[0] if self.namespaces else DEFAULT_NAMESPACE
        if self.namespaces is not None and requested not in self.namespaces:
            raise NamespaceDenied(requested)
        return requested

    def visible(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` this token may see."""
        return [n for n in names if self.namespaces is None or n in self.namespaces]


def _binding(names: Sequence[object], where: str) -> tuple[str, ...]:
    if not names:
        raise ValueError(f"{where}: a ':' must be followed by at least one namespace")
    try:
        checked = [check_namespace(n, where) for n in names]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    return tuple(dict.fromkeys(checked))


def _add(table: TokenTable, token: str, binding: tuple[str, ...] | None, where: str) -> None:
    if not token or any(c.isspace() for c in token):
        raise ValueError(f"{where}: a token must not be empty or contain whitespace")
    if token in table and table[token] != binding:
        raise ValueError(f"{where}: the token is given twice with different namespaces")
    table[token] = binding


def _add_json(table: TokenTable, text: str, where: str) -> None:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(  # noqa: TRY004 - a bad file, reported like every other bad entry
            f"{where}: the JSON must be an object of token -> namespaces or null")
    for token, names in data.items():
        if names is not None and not (isinstance(names, list)
                                      and all(isinstance(n, str) for n in names)):
            raise ValueError(f"{where}: the namespaces of a token must be a list of strings "
                             "or null")
        _add(table, token, None if names is None else _binding(names, where), where)


def read_tokens(path: Path | None, environ: Mapping[str, str] = os.environ) -> TokenTable:
    """The token table of ``path`` plus ``$GRAPHMEM_TOKENS`` (format: the module docstring).
    Raises ValueError naming the file and line (or the variable) of a bad entry."""
    table: TokenTable = {}
    if path is not None:
        text = path.read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            _add_json(table, text, str(path))
        else:
            for number, line in enumerate(text.splitlines(), start=1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                where = f"{path}:{number}"
                token, colon, names = line.partition(":")
                binding = None
                if colon:
                    binding = _binding([n.strip() for n in names.split(",") if n.strip()], where)
                _add(table, token.strip(), binding, where)
    env = environ.get(TOKENS_ENV, "")
    if env.lstrip().startswith("{"):
        _add_json(table, env, TOKENS_ENV)
    else:
        for entry in (e.strip() for e in env.split(",")):
            if entry:
                token, colon, name = entry.partition(":")
                binding = _binding([name.strip()] if name.strip() else [], TOKENS_ENV) if colon else None
                _add(table, token.strip(), binding, TOKENS_ENV)
    return table


def load_tokens(path: Path | None, environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The tokens of :func:`read_tokens`, without their bindings."""
    return tuple(read_tokens(path, environ))


def _match(authorization: str | None, tokens: Iterable[str]) -> str | None:
    """The token the ``Authorization: Bearer ...`` header carries, when it is one of
    ``tokens``. Every token is compared with :func:`hmac.compare_digest` (no early exit), so
    the time taken says nothing about how much of a token was right."""
    if not authorization:
        return None
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    given_b = given.strip().encode("utf-8")
    found = None
    for t in tokens:
        if hmac.compare_digest(given_b, t.encode("utf-8")):
            found = t
    return found


def token_ok(authorization: str | None, tokens: Iterable[str]) -> bool:
    """True when the ``Authorization`` header is ``Bearer <one of tokens>``."""
    return _match(authorization, tokens) is not None


def grant_for(authorization: str | None, tokens: Sequence[str],
              bindings: Mapping[str, tuple[str, ...]]) -> Grant | None:
    """What the request may use, or None when its token is missing or wrong. Without tokens
    (a loopback-only server) every request may use every namespace."""
    if not tokens:
        return Grant()
    token = _match(authorization, tokens)
    if token is None:
        return None
    return Grant(bindings.get(token))
