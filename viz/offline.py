"""What an HTML page would fetch from the network, read from its own markup.

A page written by :func:`viz.page.build_page` must open offline, so it is checked before it is
written. The check parses the page with :mod:`html.parser` and looks where a browser would start
a fetch: URL attributes of elements (``src``, ``href``, ``srcset``, ...), CSS in ``<style>``
elements and ``style`` attributes (``url(...)``, ``@import``), a ``<meta http-equiv=refresh>``
target, markup in ``srcdoc``, and URL-like assignments in the page's own scripts.

It deliberately skips the content of ``<script type="application/json">`` elements: that is the
view's data (document text, names), which the browser never runs or fetches from, and which may
well *quote* ``url(https://...)`` or ``href=https://...``. Scanning the whole page as text
(as this check once did) refused every view containing one such ordinary document.

Why parse the finished page rather than check the template before the data goes in: the parse
sees what the browser will see. If the data ever escaped its element (an escaping bug), it would
show up here as real elements and be refused, where a template-only check would pass it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A URL that names a host: "scheme://host..." or protocol-relative "//host...". Fragments,
# relative paths and data: URIs have no authority part and load nothing from the network.
_NETWORK_URL = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:)?//", re.IGNORECASE)
_URL_REST = r"""[^\s"'<>()]*"""
_CSS_REMOTE = re.compile(
    r"""(?:url\(\s*|@import\s+)["']?\s*(?:[a-z][a-z0-9+.\-]*:)?//""" + _URL_REST, re.IGNORECASE
)
# In script text: HTML attributes or CSS written inside strings, or ``el.src = "https://..."``.
_SCRIPT_REMOTE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset)\s*=\s*["']?\s*|url\(\s*["']?\s*"""
    r"""|@import\s+["'])(?:[a-z][a-z0-9+.\-]*:)?//""" + _URL_REST,
    re.IGNORECASE,
)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?\s*(\S+)", re.IGNORECASE)

URL_ATTRIBUTES = frozenset({
    "src", "href", "xlink:href", "srcset", "imagesrcset", "action", "formaction", "poster",
    "data", "background", "cite", "longdesc", "ping", "manifest", "icon", "codebase",
    "archive", "lowsrc", "dynsrc", "profile",
})
DATA_SCRIPT_TYPES = frozenset({"application/json"})


def _names_a_host(value: str) -> bool:
    """True when any URL in an attribute value (one URL, or a srcset/ping list) names a host."""
    return any(_NETWORK_URL.match(token) for token in re.split(r"[\s,]+", value) if token)


class _Scanner(HTMLParser):
    """Collects every network reference in the markup it is fed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._text_of: str | None = None  # "style" or "script" while inside one to be checked
        self._skipping = False  # inside a data script element
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES and _names_a_host(value):
                self.found.append(f'<{tag} {name}="{value}">')
            elif name == "style":
                self.found += [f"<{tag} style>: {m.group(0)}" for m in _CSS_REMOTE.finditer(value)]
            elif name == "srcdoc":
                self.found += [f"<{tag} srcdoc>: {ref}" for ref in remote_references(value)]
        given = {name: (value or "") for name, value in attrs}
        if tag == "meta" and given.get("http-equiv", "").strip().lower() == "refresh":
            target = _REFRESH_URL.search(given.get("content", ""))
            if target and _names_a_host(target.group(1)):
                self.found.append(f'<meta content="{given["content"]}">')
        if tag in ("style", "script"):
            kind = given.get("type", "").strip().lower()
            self._skipping = tag == "script" and kind in DATA_SCRIPT_TYPES
            self._text_of, self._text = tag, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("style", "script"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._text_of is not None and not self._skipping:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._text_of:
            return
        text = "".join(self._text)
        pattern = _CSS_REMOTE if tag == "style" else _SCRIPT_REMOTE
        self.found += [f"<{tag}>: {m.group(0)}" for m in pattern.finditer(text)]
        self._text_of, self._text, self._skipping = None, [], False

    def close(self) -> None:
        super().close()
        if self._text_of is not None:  # an element left open at the end still counts
            self.handle_endtag(self._text_of)


def remote_references(html: str) -> list[str]:
    """Every place in ``html``'s own markup that would fetch from the network, each as
    ``<tag attr="value">`` or ``<tag>: snippet``; empty for a page that stays offline. The
    content of ``<script type="application/json">`` data elements is not markup and is not read.
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found
