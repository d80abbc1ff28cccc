"""The web entry point: HTML pages and the JSON API over the same services."""
