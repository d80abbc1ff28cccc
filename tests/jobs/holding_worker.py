"""A worker process for tests: `python -m tests.jobs.holding_worker` runs Earful's worker loop with
one more job, `test.hold`, registered.

`test.hold` notes which process started it in the folder its payload names; with
EARFUL_TEST_HOLD=1 in the environment it then sleeps for ten minutes (a long job, alive until the
process is killed), otherwise it adds a team and finishes.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from earful.jobs.registry import JobContext, job
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Team
from earful.worker.runner import run_worker


@job("test.hold")
def hold_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Note who started the job, then hold it (EARFUL_TEST_HOLD=1) or finish it."""
    (Path(payload["folder"]) / f"started-{os.getpid()}").touch()
    if os.environ.get("EARFUL_TEST_HOLD") == "1":
        time.sleep(600)  # touches no table meanwhile, like a handler reading before it writes
    ctx.session.add(Team(name=f"done by {os.getpid()}"))


def main() -> None:
    """Run the worker until SIGTERM."""
    settings = Settings()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    run_worker(Database(settings.resolved_database_url), settings, stop)


if __name__ == "__main__":
    main()
