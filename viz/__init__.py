"""Interactive graph visualization built on graphmem's public API."""
