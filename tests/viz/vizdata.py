"""Invented documents for the visualization tests (a module of its own so tests can import it;
tests/viz has no __init__.py, like tests/graph, so that it cannot shadow the ``viz`` package)."""

from __future__ import annotations

from graphmem import Document

# Invented text. Two documents carry markup that must show as text and never run.
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">'
SCRIPT_TITLE = "<script>window.__pwned=2</script>"
DOCS = [
    Document(id="ostrava", title="Maren Ostrava",
             text="Maren Ostrava wrote the novel Glass Orchard. Maren Ostrava was born in Tessaly."),
    Document(id="tessaly", title="Tessaly",
             text="Tessaly is a harbour town in the Vell Valley. The Corran River flows through Tessaly."),
    Document(id="orchard", title="Glass Orchard",
             text="Glass Orchard is a novel about a lighthouse. Quillon Books published Glass Orchard."),
    Document(id="vane", title=SCRIPT_TITLE,
             text=f"Dorrik Vane sang {IMG_PAYLOAD} at Quarry Hall. "
                  "</script><script>window.__pwned=3</script> Dorrik Vane was born in Tessaly."),
]
QUERY = "In which valley was the author of Glass Orchard born?"
