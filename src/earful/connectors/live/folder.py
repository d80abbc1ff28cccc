"""File drop: a watched folder whose new files are imported, one file per page.

A file is taken once it has settled (unchanged for `settle_seconds`, 10 by default), so one still
being copied in is left for the next poll. Each file is remembered by name, size and modification
time once its posts are stored; a file replaced by a new version is read again (posts already
stored are skipped by their ids). A file in no known format is set aside whole, with the reason.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from earful.connectors.files import UnknownFormat, read_items
from earful.connectors.live import Page, Target
from earful.connectors.live.http import Http, SourceError
from earful.contracts import Rejected
from earful.settings import Settings

REMEMBERED = 2000  # files kept in the cursor; older names drop out once the folder moves on


class FolderConnector:
    """Watch one folder."""

    kind = "folder"
    summary = "a watched folder whose new files are imported (settings: path, pattern, format)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require a readable folder."""
        path = Path(str(config.get("path", "")))
        if not str(config.get("path", "")).strip() or not path.is_dir():
            raise ValueError("Set 'path' to a folder that exists and Earful can read.")

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Read the oldest settled file not read yet."""
        folder = Path(str(target.config["path"]))
        if not folder.is_dir():
            raise SourceError(f"the folder {folder} is gone or unreadable")
        pattern = str(target.config.get("pattern") or "*")
        settle = float(target.config.get("settle_seconds", 10))
        done: list[str] = list(cursor.get("done") or [])
        now = time.time()
        waiting = []
        for path in folder.iterdir():
            if not path.is_file() or path.name.startswith(".") or not fnmatch.fnmatch(path.name, pattern):
                continue
            stat = path.stat()
            key = f"{path.name}|{stat.st_size}|{int(stat.st_mtime)}"
            if key in done or now - stat.st_mtime < settle:
                continue
            waiting.append((stat.st_mtime, path.name, key, path))
        if not waiting:
            return Page([], cursor, note="no new files")
        waiting.sort()
        _, name, key, path = waiting[0]
        fmt = target.config.get("format")
        try:
            entries = list(read_items(path, str(fmt) if fmt else None))
        except UnknownFormat as exc:
            entries = [Rejected(str(exc), _head(path), name)]
        except Exception as exc:  # noqa: BLE001 - a stranger's file must not stop the folder
            entries = [Rejected(f"could not read {name}: {type(exc).__name__}: {exc}", _head(path), name)]
        next_cursor = {**cursor, "done": [*done, key][-REMEMBERED:]}
        return Page(entries, next_cursor, more=len(waiting) > 1, note=name)


def _head(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(65536).decode("utf-8", "replace")


CONNECTOR = FolderConnector()
