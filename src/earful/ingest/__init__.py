"""Ingest: turn files and feeds into stored posts, and enrich them."""
