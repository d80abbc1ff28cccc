"""File drop: a watched folder whose new files are imported, one file per page.

The folder must lie under the drop root (EARFUL_DROP_ROOT, by default DATA_DIR/drop), and links
in it are not followed. A file is taken once it has settled (unchanged for `settle_seconds`, 10
by default), so one still being copied in is left for the next poll. Files are read in the order
they arrived; a file replaced by a new version is read again (posts already stored are skipped by
their ids). A file in no known format, or one that cannot be read, is set aside with the reason.
"""

from __future__ import annotations

import fnmatch
import stat
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
        """Require a readable folder inside the drop root."""
        raw = str(config.get("path", "")).strip()
        if not raw:
            raise ValueError("Set 'path' to a folder under the drop root that Earful can read.")
        root = _root(settings)
        path = Path(raw).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"'path' must be inside the drop root {root} (EARFUL_DROP_ROOT).")
        if not path.is_dir():
            raise ValueError(f"The folder {path} does not exist or cannot be read.")

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Read the oldest settled file not read yet."""
        try:
            self.check(target.config, target.settings)
        except ValueError as exc:
            raise SourceError(str(exc)) from None
        folder = Path(str(target.config["path"])).resolve()
        pattern = str(target.config.get("pattern") or "*")
        settle = float(target.config.get("settle_seconds", 10))
        done: list[str] = list(cursor.get("done") or [])
        # Files are taken in the order they arrived (their inode change time, which a copy or a
        # move sets, unlike the modification time `cp -p` keeps); `mark` is the last one read, so
        # however many files pile up, none is read twice or skipped.
        mark = tuple(cursor.get("mark") or (0.0, ""))
        now = time.time()
        waiting = []
        for path in folder.iterdir():
            try:
                info = path.lstat()
            except OSError:
                continue  # gone since the listing
            if not stat.S_ISREG(info.st_mode):
                continue  # links and folders are not followed: a link could point anywhere
            if path.name.startswith(".") or not fnmatch.fnmatch(path.name, pattern):
                continue
            key = f"{path.name}|{info.st_size}|{int(info.st_mtime)}"
            arrived = (max(info.st_ctime, info.st_mtime), path.name)
            if key in done or arrived <= mark or now - info.st_mtime < settle:
                continue
            waiting.append((arrived, key, path))
        if not waiting:
            return Page([], cursor, note="no new files")
        waiting.sort()
        arrived, key, path = waiting[0]
        fmt = target.config.get("format")
        try:
            entries = list(read_items(path, str(fmt) if fmt else None))
        except UnknownFormat as exc:
            entries = [Rejected(str(exc), _head(path), path.name)]
        except Exception as exc:  # noqa: BLE001 - a stranger's file must not stop the folder
            entries = [
                Rejected(f"could not read {path.name}: {type(exc).__name__}: {exc}", _head(path), path.name)
            ]
        next_cursor = {**cursor, "done": [*done, key][-REMEMBERED:], "mark": list(arrived)}
        return Page(entries, next_cursor, more=len(waiting) > 1, note=path.name)


def _root(settings: Settings) -> Path:
    return (settings.drop_root or settings.data_dir / "drop").resolve()


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(65536).decode("utf-8", "replace")
    except OSError as exc:
        return f"(unreadable: {type(exc).__name__})"


CONNECTOR = FolderConnector()
