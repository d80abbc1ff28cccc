"""Triage: the feed analysts read and the queue they work."""
