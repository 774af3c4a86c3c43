"""Rendered pages in headless Chromium: they load without errors, show the expected network,
mark retrieved passages, show document text as text (no injected markup runs), and the panel,
hover text and search work. Skipped with a reason when Chromium is not installed."""

from __future__ import annotations

import json

import pytest
from vizdata import DOCS, IMG_PAYLOAD, QUERY, SCRIPT_TITLE

from viz import render
from viz.style import legend

pytest.importorskip("pyvis", reason="pyvis not installed: pip install 'graphmem[viz]'")

pytestmark = pytest.mark.browser

READY = "window.graphmemViz && window.graphmemViz.ready"
VANE = "passage:vane#0"


@pytest.fixture(scope="module")
def pages(viz_memory, tmp_path_factory):
    out = tmp_path_factory.mktemp("pages")
    return {
        "overview": render(viz_memory, out / "overview.html"),
        "query": render(viz_memory, out / "query.html", query=QUERY, top_k=3),
        "entity": render(viz_memory, out / "entity.html", entity="Tessaly"),
    }


def load(browser, report):
    browser.open(report.path)
    browser.wait_for(READY)


def node_point(browser, node_id: str) -> tuple[float, float]:
    """Centre the view on a node (so no overlay covers it) and return its page coordinates."""
    x, y = browser.evaluate(
        f"""(() => {{
          const v = window.graphmemViz, id = {json.dumps(node_id)};
          const p = v.network.getPositions([id])[id];
          v.network.moveTo({{position: p, scale: 1.5, animation: false}});
          const d = v.network.canvasToDOM(p);
          const r = document.getElementById('gm-graph').getBoundingClientRect();
          return [r.left + d.x, r.top + d.y];
        }})()"""
    )
    browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return x, y


def panel_text(browser, selector: str) -> str | None:
    return browser.evaluate(
        f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
        "return e ? e.textContent : null; })()"
    )


def test_overview_loads_clean_with_every_node_and_edge(browser, pages, tmp_path):
    report = pages["overview"]
    load(browser, report)
    counts = browser.evaluate(
        "[graphmemViz.network.body.data.nodes.length, graphmemViz.network.body.data.edges.length]"
    )
    assert counts == [report.nodes, report.edges]
    assert panel_text(browser, "#gm-note") == report.note
    assert browser.evaluate("document.querySelectorAll('#gm-legend .gm-legend-row').length") == len(
        legend("overview")
    )
    assert browser.errors() == [] and browser.dialogs == []
    shot = browser.screenshot(tmp_path / "overview.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_query_page_labels_retrieved_passages_with_their_rank(browser, pages, viz_memory, tmp_path):
    report = pages["query"]
    load(browser, report)
    hits = viz_memory.retrieve(QUERY, top_k=3)
    labels = browser.evaluate(
        "graphmemViz.nodes.get(" + json.dumps([f"passage:{h.chunk_id}" for h in hits]) + ")"
        ".map(n => n.label)"
    )
    assert [label.split(" ")[0] for label in labels] == ["#1", "#2", "#3"]
    assert browser.evaluate("graphmemViz.nodes.length") == report.nodes
    assert panel_text(browser, ".gm-info-line") == f"query: {QUERY}"
    assert browser.errors() == [] and browser.dialogs == []
    browser.screenshot(tmp_path / "query.png")


@pytest.mark.parametrize("view", ["overview", "query"])
def test_injected_markup_shows_as_text_and_runs_nothing(browser, pages, view):
    load(browser, pages[view])
    x, y = node_point(browser, VANE)
    browser.click(x, y)
    browser.wait_for("graphmemViz.selected === " + json.dumps(VANE))
    assert panel_text(browser, "#gm-passage-text") == DOCS[3].text
    assert panel_text(browser, ".gm-heading") == SCRIPT_TITLE
    # Hover text is set as text too: the tooltip holds the raw characters.
    browser.mouse("mouseMoved", x + 1, y + 1)
    tooltip = browser.wait_for(
        "(() => { const t = document.querySelector('div.vis-tooltip');"
        " return t && t.style.visibility !== 'hidden' && t.innerText; })()"
    )
    assert tooltip.startswith(SCRIPT_TITLE + "\npassage\n")
    assert IMG_PAYLOAD in tooltip
    # innerText turns each newline into a <br>; nothing else may appear.
    tags = browser.evaluate(
        "Array.from(document.querySelector('div.vis-tooltip').querySelectorAll('*'))"
        ".map(e => e.tagName)"
    )
    assert tags == ["BR"] * tooltip.count("\n")
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.scripts.length") == 3
    assert browser.dialogs == [] and browser.errors() == []


def test_entity_panel_lists_facts_with_provenance_links(browser, pages):
    load(browser, pages["overview"])
    x, y = node_point(browser, "entity:maren ostrava")
    browser.click(x, y)
    browser.wait_for("graphmemViz.selected === 'entity:maren ostrava'")
    items = browser.evaluate(
        "Array.from(document.querySelectorAll('#gm-panel-body .gm-item-text'))"
        ".map(e => e.textContent)"
    )
    assert "Maren Ostrava — born in — Tessaly" in items
    # The fact's "stated in" link focuses the passage that states it.
    browser.evaluate(
        "Array.from(document.querySelectorAll('.gm-item')).find(li => li.textContent"
        ".includes('born in')).querySelector('.gm-item-link').click()"
    )
    assert browser.evaluate("graphmemViz.selected") == "passage:ostrava#0"
    assert browser.evaluate("graphmemViz.network.getSelectedNodes()") == ["passage:ostrava#0"]
    assert panel_text(browser, "#gm-passage-text") == DOCS[0].text
    assert browser.errors() == []


def test_search_box_focuses_a_node_by_name(browser, pages):
    load(browser, pages["entity"])
    def search(text: str) -> None:
        browser.evaluate(
            "(q => { document.getElementById('gm-search-input').value = q;"
            " document.getElementById('gm-search').requestSubmit(); })(" + json.dumps(text) + ")"
        )

    search("tessaly")
    assert browser.evaluate("graphmemViz.network.getSelectedNodes()") == ["entity:tessaly"]
    assert panel_text(browser, ".gm-heading") == "Tessaly"
    assert panel_text(browser, "#gm-search-status") == ""
    search("  VELL val")  # case-insensitive prefix match
    assert browser.evaluate("graphmemViz.selected") == "entity:vell valley"
    search("no such name")
    assert panel_text(browser, "#gm-search-status") == "No node in this view matches “no such name”."
    assert browser.evaluate("graphmemViz.selected") == "entity:vell valley"
    assert browser.errors() == []


def test_empty_memory_page_is_ready_without_errors(browser, memory_factory, tmp_path):
    report = render(memory_factory("empty"), tmp_path / "empty.html")
    load(browser, report)
    assert browser.evaluate("graphmemViz.nodes.length") == 0
    assert panel_text(browser, ".gm-info-line") == "the memory is empty"
    assert browser.errors() == []
