"""The offline check of a page: it refuses pages whose own markup would fetch from the network,
and never mistakes the data a page carries (document text, names) for markup."""

from __future__ import annotations

import pytest

from graphmem import Document
from viz import page, render
from viz.page import build_page, read_payload, remote_references

pytest.importorskip("pyvis", reason="pyvis not installed: pip install 'graphmem[viz]'")

# Ordinary text that quotes CSS or HTML; before the fix each made build_page refuse the page.
URL_TEXTS = [
    "The stylesheet sets background: url(https://example.org/bg.png) on the body.",
    "Old pages embedded images with <img src=http://example.org/a.png> tags.",
    "A link is written as <a href=https://example.org/>example</a> in HTML.",
]


@pytest.mark.parametrize("text", URL_TEXTS)
def test_a_passage_quoting_a_url_reference_renders(memory_factory, tmp_path, text):
    mem = memory_factory("mem")
    mem.add([Document(id="web", title="Web pages", text=text)])
    report = render(mem, tmp_path / "o.html")
    html = (tmp_path / "o.html").read_text("utf-8")
    assert read_payload(html)["details"]["passage:web#0"]["text"] == text
    assert report.nodes >= 1
    assert remote_references(html) == []
    render(mem, tmp_path / "q.html", query="How are images embedded in web pages?")


@pytest.mark.parametrize("text", URL_TEXTS)
def test_build_page_carries_url_text_as_data(text):
    payload = {"title": text, "nodes": [{"id": "n", "label": text, "title": text}]}
    html = build_page(payload)
    assert read_payload(html) == payload


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<script src="https://cdn.example/x.js"></script>',
         ['<script src="https://cdn.example/x.js">']),
        ("<link rel=stylesheet href=//cdn.example/x.css>", ['<link href="//cdn.example/x.css">']),
        ('<img SRC=" HTTP://example.org/a.png">', ['<img src=" HTTP://example.org/a.png">']),
        ('<div style="background: url( \'https://x.example/b.png\')"></div>',
         ["<div style>: url( 'https://x.example/b.png"]),
        ("<style>@import 'https://x.example/a.css';</style>",
         ["<style>: @import 'https://x.example/a.css"]),
        ("<style>body { background: url(//x.example/b.png) }</style>",
         ["<style>: url(//x.example/b.png"]),
        ('<meta http-equiv="refresh" content="0; url=https://x.example/">',
         ['<meta content="0; url=https://x.example/">']),
        ('<script>img.src = "https://x.example/p.gif";</script>',
         ['<script>: src = "https://x.example/p.gif']),
        ('<img src="data:image/png;base64,AAAA"><a href="#top">top</a>', []),
        (('<script type="application/json" id="gm-data">'
          '{"t":"url(https://x) src=http://y href=https://z"}</script>'), []),
        ("<p>src=https://x.example/ and url(https://y.example/) as text</p>", []),
    ],
)
def test_remote_references_reads_markup_not_text(html, found):
    assert remote_references(html) == found


def test_a_page_whose_own_markup_loads_a_remote_resource_is_refused(monkeypatch):
    js, css = page.app_assets()
    monkeypatch.setattr(page, "app_assets",
                        lambda: (js, css + "\nbody { background: url(https://x.example/b.png) }"))
    with pytest.raises(ValueError, match=r"page would load remote resources: "
                                         r"\['<style>: url\(https://x.example/b.png'\]"):
        build_page({"title": "t"})
    monkeypatch.setattr(page, "_SKELETON", page._SKELETON.replace(
        "</head>", '<link rel="stylesheet" href="https://cdn.example/bootstrap.css">\n</head>'))
    monkeypatch.setattr(page, "app_assets", lambda: (js, css))
    with pytest.raises(ValueError, match="cdn.example/bootstrap.css"):
        build_page({"title": "t"})


def test_data_that_broke_out_of_its_element_would_be_refused(monkeypatch):
    """If escaping ever failed, the data would become markup and the check would see it."""
    monkeypatch.setattr(page, "script_json", lambda value: '</script><img src="https://x.example/">')
    with pytest.raises(ValueError, match=r"<img src=\"https://x.example/\">"):
        build_page({"title": "t"})


@pytest.mark.browser
def test_a_page_carrying_url_text_shows_it_as_text_in_chromium(browser, memory_factory, tmp_path):
    mem = memory_factory("mem")
    mem.add([Document(id="web", title="Web pages", text=" ".join(URL_TEXTS))])
    report = render(mem, tmp_path / "o.html")
    browser.open(report.path)
    browser.wait_for("window.graphmemViz && window.graphmemViz.ready")
    browser.evaluate("graphmemViz.showNode('passage:web#0')")
    shown = browser.evaluate("document.getElementById('gm-passage-text').textContent")
    assert shown == " ".join(URL_TEXTS)
    assert browser.evaluate("document.querySelectorAll('#gm-panel img, #gm-panel a').length") == 0
    assert browser.errors() == [] and browser.dialogs == []
