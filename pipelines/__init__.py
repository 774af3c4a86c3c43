"""Batch ingestion jobs built on graphmem's public API."""
