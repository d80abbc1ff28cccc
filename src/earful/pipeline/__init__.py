"""Enrichment stages: small, named, versioned, pure functions over one post at a time."""
