"""Embedding backend, classifier training and evaluation, taxonomies (used by pipeline stages)."""
