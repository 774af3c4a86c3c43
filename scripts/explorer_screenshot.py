#!/usr/bin/env python3
"""Screenshot of the live explorer of a running ``graphmem serve`` (docs/explorer.png).

Opens the page in headless Chromium (``tests/headless.py``), enters the token when given, asks the
question, waits for the layout, clicks a node (expanding it from the API) and saves the view::

    graphmem serve --store .demo-store --port 8765 &
    python scripts/explorer_screenshot.py --url http://127.0.0.1:8765 --out docs/explorer.png

Needs Chromium and websocket-client (``make chromium``, the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the browser driver

from headless import Browser

log = logging.getLogger("explorer_screenshot")

QUERY = "In which valley was the author of The Salt Lantern born?"
READY = "window.graphmemExplorer && graphmemExplorer.ready && graphmemExplorer.busy === 0"


def _fill(b: Browser, element_id: str, text: str) -> None:
    b.evaluate(f"(() => {{ const e = document.getElementById({json.dumps(element_id)}); "
               "e.value = ''; e.focus(); })()")
    b.type_text(text)


def _click_element(b: Browser, element_id: str) -> None:
    x, y = b.evaluate(f"(() => {{ const r = document.getElementById({json.dumps(element_id)})"
                      ".getBoundingClientRect(); return [r.left + r.width / 2, "
                      "r.top + r.height / 2]; })()")
    b.click(x, y)


def take(url: str, out: Path, query: str, top_k: int, node: str | None, token: str | None,
         width: int, height: int) -> Path:
    """Drive the page at ``url`` and write the screenshot to ``out``."""
    with Browser(width=width, height=height, timeout=60) as b:
        b.goto(url.rstrip("/") + "/")
        b.wait_for(READY)
        if token:
            _fill(b, "gx-token", token)
            _click_element(b, "gx-token-save")
            b.wait_for(READY + " && graphmemExplorer.documents.length > 0")
        _fill(b, "gx-query", query)
        _fill(b, "gx-topk", str(top_k))
        _click_element(b, "gx-ask")
        b.wait_for(READY + " && graphmemExplorer.trace !== null && graphmemExplorer.settled")
        node = node or next(n["id"] for n in b.evaluate("graphmemExplorer.trace.nodes")
                            if n["kind"] == "entity" and n["seed"])
        b.evaluate("graphmemExplorer.network.fit({animation: false})")
        x, y = b.evaluate(
            f"""(() => {{ const v = graphmemExplorer, id = {json.dumps(node)};
              const d = v.network.canvasToDOM(v.network.getPositions([id])[id]);
              const r = document.getElementById('gx-graph').getBoundingClientRect();
              return [r.left + d.x, r.top + d.y]; }})()""")
        b.click(x, y)
        b.wait_for(f"graphmemExplorer.expanded[{json.dumps(node)}] && graphmemExplorer.busy === 0")
        time.sleep(0.5)
        if b.errors():
            log.warning("page reported: %s", b.errors())
        b.screenshot(out)
    log.info("wrote %s (query %r, expanded %s)", out, query, node)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--out", type=Path, default=Path("docs/explorer.png"))
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--node", default=None, help="Node to click (default: the first seed).")
    parser.add_argument("--token", default=None)
    parser.add_argument("--width", type=int, default=1500)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    take(args.url, args.out, args.query, args.top_k, args.node, args.token, args.width,
         args.height)


if __name__ == "__main__":
    main()
