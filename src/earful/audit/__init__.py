"""Audit: an append-only record of what people did."""
