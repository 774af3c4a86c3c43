"""Interactive graph visualization built on graphmem's public API.

>>> from graphmem import Memory                                         # doctest: +SKIP
>>> from viz import render
>>> with Memory("./mem") as mem:
...     render(mem, "graph.html")                                       # overview
...     render(mem, "q.html", query="Where was Ada Lovelace born?")     # why these passages
...     render(mem, "ada.html", entity="Ada Lovelace")                  # one entity's neighbourhood

Needs the ``viz`` extra (pyvis, which ships the vis-network library the page inlines):
``pip install 'graphmem[viz]'``. graphmem itself never imports this package.
"""

from viz.errors import UnknownEntityError, VizError
from viz.render import RenderReport, render, resolve_entity

__all__ = ["RenderReport", "UnknownEntityError", "VizError", "render", "resolve_entity"]
