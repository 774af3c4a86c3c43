"""Persistent storage: the Store protocol and the embedded SQLite default."""
