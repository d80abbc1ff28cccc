"""The worker process: consumes jobs from the queue."""
