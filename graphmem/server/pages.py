"""Web pages the server shows, plugged in by other packages (the live explorer comes from ``viz``).

graphmem never imports its users: a package that has pages for the server names a function
in the entry-point group :data:`PAGES_GROUP` (as ``viz`` does in pyproject.toml), which returns
:class:`StaticPage` s. The server loads the group once at start-up and answers ``GET <path>``
with the page's bytes and its headers: a Content-Security-Policy the page brings (the server
adds ``frame-ancestors 'none'``), ``nosniff`` and no referrer. A page is static: it carries no
memory data and is served without a token; everything it shows it fetches from /v1 with the
user's bearer token, like any other client. A group that fails to load is logged and skipped,
so a broken plugin costs its page, never the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

__all__ = ["PAGES_GROUP", "StaticPage", "load_pages", "mount_pages"]

PAGES_GROUP = "graphmem.server.pages"


@dataclass(frozen=True)
class StaticPage:
    """One page: where it is served, its bytes, media type and Content-Security-Policy."""

    path: str
    body: bytes
    media_type: str = "text/html; charset=utf-8"
    csp: str = "default-src 'none'"
    summary: str = ""


def load_pages(group: str = PAGES_GROUP) -> list[StaticPage]:
    """The pages of every installed plugin of ``group`` (entry points naming functions that
    return StaticPages); a plugin that fails is logged and left out."""
    from importlib.metadata import entry_points

    pages: list[StaticPage] = []
    for ep in entry_points(group=group):
        try:
            make: Callable[[], Iterable[StaticPage]] = ep.load()
            made = list(make())
        except Exception:  # a plugin's failure must not stop the server
            log.exception("server pages %r (%s) failed to load; serving without them",
                          ep.name, ep.value)
            continue
        pages.extend(p for p in made if isinstance(p, StaticPage))
        log.info("server pages from %r: %s", ep.name, ", ".join(p.path for p in made))
    return pages


def _headers(page: StaticPage) -> dict[str, str]:
    return {
        "Content-Security-Policy": f"{page.csp}; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


def mount_pages(app: FastAPI, pages: Sequence[StaticPage]) -> None:
    """Answer ``GET`` (and ``HEAD``) on each page's path with the page; later duplicates of a
    path are refused with a warning."""
    from fastapi import Response

    seen: set[str] = set()
    for page in pages:
        if page.path in seen:
            log.warning("two server pages at %s; keeping the first", page.path)
            continue
        seen.add(page.path)

        app.add_api_route(page.path, _endpoint(page, Response), methods=["GET", "HEAD"],
                          include_in_schema=False, summary=page.summary or None)


def _endpoint(page: StaticPage, response: type) -> Callable[[], object]:
    headers = _headers(page)

    async def serve() -> object:
        return response(page.body, media_type=page.media_type, headers=headers)

    return serve
