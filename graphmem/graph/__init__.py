"""Graph construction (extraction results to store rows) and the in-memory retrieval index."""
