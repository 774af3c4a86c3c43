"""Bearer tokens: where they come from and how a request's token is checked."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["TOKENS_ENV", "load_tokens", "token_ok"]

TOKENS_ENV = "GRAPHMEM_TOKENS"


def load_tokens(path: Path | None, environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The tokens of ``path`` (one per line; blank lines and ``#`` comments skipped) plus those
    of ``$GRAPHMEM_TOKENS`` (comma-separated). Raises ValueError for a token with whitespace
    inside (a pasted line with two tokens would otherwise silently accept neither)."""
    raw: list[str] = []
    if path is not None:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                raw.append(line.strip())
    raw.extend(t.strip() for t in environ.get(TOKENS_ENV, "").split(",") if t.strip())
    for t in raw:
        if any(c.isspace() for c in t):
            raise ValueError("a token must not contain whitespace")
    return tuple(dict.fromkeys(raw))


def token_ok(authorization: str | None, tokens: Iterable[str]) -> bool:
    """True when the ``Authorization`` header is ``Bearer <one of tokens>``.

    Every token is compared with :func:`hmac.compare_digest` (no early exit), so the time taken
    says nothing about how much of a token was right."""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    given_b = given.strip().encode("utf-8")
    ok = False
    for t in tokens:
        ok |= hmac.compare_digest(given_b, t.encode("utf-8"))
    return ok
