"""The live explorer: the page ``graphmem serve`` shows at ``/`` when this package is installed.

One static HTML page (vis-network from the pyvis package, the page's own script and style, all
inlined) that talks to the server's JSON API with ``fetch``: ``POST /v1/trace`` for a
question's ranked passages and explanation graph, ``GET /v1/graph/node`` to expand a clicked
node, ``GET``/``DELETE /v1/documents`` for the document list, ``GET /v1/namespaces`` for the
namespace switcher. A bearer token typed into the page is kept in ``sessionStorage`` (gone with
the tab) and sent as the ``Authorization`` header.

How it plugs in: graphmem never imports viz. pyproject.toml names :func:`explorer_pages` in the
``graphmem.server.pages`` entry-point group; the server loads that group at start-up
(:mod:`graphmem.server.pages`) and serves the returned page. Without viz (or pyvis) installed
the API runs as before and ``/`` is a JSON 404.

Safety: the page carries no memory data (it is built once, before any request) and its
Content-Security-Policy runs only its two inline scripts and applies only its two inline styles
(by hash) and lets it connect to its own origin only. The script puts every document string
into the DOM as text (``textContent``, DOM properties) and hands vis-network plain-text labels
and tooltips, so markup inside a passage or title shows as characters and runs nothing.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib import resources

from graphmem.server.pages import StaticPage
from viz import style
from viz.offline import remote_references
from viz.page import script_json, vis_assets

__all__ = ["EXPLORER_PATH", "build_explorer", "explorer_config", "explorer_pages"]

EXPLORER_PATH = "/"
RAMP_STEPS = 20

_SKELETON = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>graphmem explorer</title>
<style>{vis_css}</style>
<style>{app_css}</style>
</head>
<body>
<header id="gx-header">
  <h1 id="gx-title">graphmem explorer</h1>
  <label id="gx-namespace-label">namespace
    <select id="gx-namespace" aria-label="Namespace"></select></label>
  <form id="gx-token-form" autocomplete="off">
    <input id="gx-token" type="password" placeholder="bearer token (if the server needs one)"
           aria-label="Bearer token">
    <button id="gx-token-save" type="submit">Use token</button>
    <button id="gx-token-forget" type="button">Forget</button>
  </form>
  <div id="gx-status" role="status" aria-live="polite"></div>
</header>
<main id="gx-main">
  <section id="gx-left">
    <form id="gx-query-form" role="search" autocomplete="off">
      <input id="gx-query" type="search" placeholder="Ask a question" aria-label="Question">
      <input id="gx-topk" type="number" min="1" max="100" value="5" aria-label="Passages">
      <button id="gx-ask" type="submit">Ask</button>
    </form>
    <div id="gx-explain"></div>
    <ol id="gx-hits"></ol>
    <div id="gx-docs-head">
      <h2>Documents <span id="gx-doc-count"></span></h2>
      <button id="gx-docs-reload" type="button">Reload</button>
    </div>
    <ul id="gx-docs"></ul>
  </section>
  <section id="gx-stage">
    <div id="gx-graph"></div>
    <details id="gx-legend" open><summary>Legend</summary><div id="gx-legend-rows"></div></details>
  </section>
  <aside id="gx-panel" aria-live="polite">
    <div id="gx-panel-body"><p class="gx-muted">Ask a question, then click a node to see
    it and expand its neighbourhood.</p></div>
  </aside>
</main>
<script type="application/json" id="gx-config">{config}</script>
<script>{vis_js}</script>
<script>{app_js}</script>
</body>
</html>
"""


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def explorer_config() -> dict[str, object]:
    """What the page script needs to draw like the static viz pages: colours of each kind of
    node and edge (:mod:`viz.style`), the PPR score ramp sampled, the legend, network options."""
    legend = style.legend("query")
    legend[2:2] = [
        {"swatch": "dot", "color": style.ENTITY_NAMED[0], "border": style.ENTITY_NAMED[1],
         "label": "expanded: named entity"},
        {"swatch": "dot", "color": style.ENTITY_PHRASE[0], "border": style.ENTITY_PHRASE[1],
         "label": "expanded: noun phrase"},
        {"swatch": "square", "color": style.PASSAGE[0], "border": style.PASSAGE[1],
         "label": "expanded: passage"},
    ]
    return {
        "colors": {
            "entity": list(style.ENTITY_NAMED), "phrase": list(style.ENTITY_PHRASE),
            "passage": list(style.PASSAGE), "seed": style.SEED_BORDER, "hit": style.HIT_BORDER,
            "fact": style.FACT_EDGE, "mention": style.MENTION_EDGE,
            "synonym": style.SYNONYM_EDGE,
        },
        "ramp": [style.score_color(i / RAMP_STEPS) for i in range(RAMP_STEPS + 1)],
        "nounPhrase": style.NOUN_PHRASE,
        "labelChars": style.LABEL_CHARS,
        "tooltipChars": style.TOOLTIP_CHARS,
        "legend": legend,
        "options": style.network_options(40),
        "neighbours": 25,
        "graphNodes": 30,
    }


@lru_cache(maxsize=1)
def app_assets() -> tuple[str, str]:
    """The explorer's own script and style (``viz/assets/explorer.*``)."""
    base = resources.files("viz") / "assets"
    return (base.joinpath("explorer.js").read_text(encoding="utf-8"),
            base.joinpath("explorer.css").read_text(encoding="utf-8"))


def build_explorer() -> tuple[str, str]:
    """The explorer page and its Content-Security-Policy."""
    vis_js, vis_css = vis_assets()
    app_js, app_css = app_assets()
    for text, closing in ((app_js, "</script"), (app_css, "</style")):
        if closing in text.lower():
            raise ValueError(f"an explorer asset contains {closing!r}")
    csp = (
        "default-src 'none'; "
        f"script-src {_hash(vis_js)} {_hash(app_js)}; "
        f"style-src {_hash(vis_css)} {_hash(app_css)}; "
        "connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'"
    )
    html = _SKELETON.format(csp=csp, vis_css=vis_css, app_css=app_css,
                            config=script_json(explorer_config()), vis_js=vis_js, app_js=app_js)
    remote = remote_references(html)
    if remote:
        raise ValueError(f"the explorer would load remote resources: {remote[:3]}")
    return html, csp


def explorer_pages() -> list[StaticPage]:
    """The ``graphmem.server.pages`` entry point: the explorer at :data:`EXPLORER_PATH`."""
    html, csp = build_explorer()
    return [StaticPage(EXPLORER_PATH, html.encode("utf-8"), csp=csp,
                       summary="The live graph explorer (viz)")]
