"""One self-contained HTML page: vis-network inlined from the pyvis package, the page's own
script and style, and the view's data as one escaped JSON block.

Why not pyvis's own template: its "in_line" mode still links Bootstrap from a CDN and renders
tooltips that contain links with ``innerHTML``. This page references nothing outside itself, so
it opens offline and from any file path, and its Content-Security-Policy only lets the two
inline scripts it ships run (by hash): a passage that somehow reached the DOM as markup still
could not run script or load anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from graphmem.errors import MissingDependencyError
from viz.offline import remote_references

VIS_VERSION = "vis-9.1.2"

# Characters that could end a <script> element or start markup inside it, written as JSON
# escapes; JSON text never contains them outside strings, so the result is the same JSON.
_SCRIPT_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                "\u2029": "\\u2029"}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")

_SKELETON = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="graphmem viz">
<title>graphmem graph</title>
<style>{vis_css}</style>
<style>{app_css}</style>
</head>
<body>
<header id="gm-header">
  <div id="gm-titles">
    <h1 id="gm-title"></h1>
    <div id="gm-note"></div>
    <div id="gm-info"></div>
  </div>
  <form id="gm-search" role="search" autocomplete="off">
    <input id="gm-search-input" type="search" list="gm-names" placeholder="Find a node by name"
           aria-label="Find a node by name">
    <button type="submit">Find</button>
    <div id="gm-search-status" aria-live="polite"></div>
    <datalist id="gm-names"></datalist>
  </form>
</header>
<main id="gm-main">
  <div id="gm-stage">
    <div id="gm-graph"></div>
    <div id="gm-legend" aria-label="Legend"></div>
  </div>
  <aside id="gm-panel" aria-live="polite">
    <div id="gm-panel-body"><p class="gm-muted">Click a node to see its text, facts and
    provenance.</p></div>
  </aside>
</main>
<script type="application/json" id="gm-data">{payload}</script>
<script>{vis_js}</script>
<script>{app_js}</script>
</body>
</html>
"""


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&``, U+2028
    and U+2029 are written as ``\\uXXXX`` escapes, so ``</script>`` in the data cannot close the
    element. Non-finite floats are refused (JSON has none)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_SAFE[m.group()], text)


_PAYLOAD_RE = re.compile(r'<script type="application/json" id="gm-data">(.*?)</script>', re.DOTALL)


def read_payload(html: str) -> dict[str, Any]:
    """The view data embedded in a page written by :func:`build_page` (for tests and tools)."""
    match = _PAYLOAD_RE.search(html)
    if match is None:
        raise ValueError("not a graphmem viz page: no gm-data block")
    payload: dict[str, Any] = json.loads(match.group(1))
    return payload


def _safe_inline(text: str, what: str, closing: str) -> str:
    lowered = text.lower()
    if closing in lowered or "<!--" in lowered:
        raise ValueError(f"{what} cannot be inlined: it contains {closing!r} or '<!--'")
    return text


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's JavaScript and CSS as shipped inside the pyvis package."""
    try:
        import pyvis
    except ImportError as exc:
        raise MissingDependencyError(
            "graph visualization needs pyvis: pip install 'graphmem[viz]'"
        ) from exc
    root = Path(pyvis.__file__).parent
    for base in (root / "templates" / "lib" / VIS_VERSION, root / "lib" / VIS_VERSION):
        js, css = base / "vis-network.min.js", base / "vis-network.css"
        if js.is_file() and css.is_file():
            return (
                _safe_inline(js.read_text(encoding="utf-8"), str(js), "</script"),
                _safe_inline(css.read_text(encoding="utf-8"), str(css), "</style"),
            )
    raise MissingDependencyError(
        f"pyvis at {root} does not ship {VIS_VERSION}/vis-network.min.js; "
        "reinstall it: pip install 'graphmem[viz]'"
    )


@lru_cache(maxsize=1)
def app_assets() -> tuple[str, str]:
    """The page's own script and style (``viz/assets``)."""
    base = resources.files("viz") / "assets"
    js = base.joinpath("graphmem_viz.js").read_text(encoding="utf-8")
    css = base.joinpath("graphmem_viz.css").read_text(encoding="utf-8")
    return (
        _safe_inline(js, "graphmem_viz.js", "</script"),
        _safe_inline(css, "graphmem_viz.css", "</style"),
    )


def _hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def build_page(payload: dict[str, Any]) -> str:
    """The complete HTML page for a view's ``payload`` (see :mod:`viz.render`)."""
    vis_js, vis_css = vis_assets()
    app_js, app_css = app_assets()
    csp = (
        "default-src 'none'; "
        f"script-src {_hash(vis_js)} {_hash(app_js)}; "
        "style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
    )
    html = _SKELETON.format(
        csp=csp, vis_css=vis_css, app_css=app_css, payload=script_json(payload),
        vis_js=vis_js, app_js=app_js,
    )
    # The page's own markup, not the data it carries (see viz.offline): a passage may quote
    # "url(https://...)"; an inlined asset that changed upstream must not phone home.
    remote = remote_references(html)
    if remote:
        raise ValueError(f"page would load remote resources: {remote[:3]}")
    return html
