"""The `earful` command line."""
