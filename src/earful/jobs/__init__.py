"""Background jobs: a registry of named handlers, and a runner over the job table."""
