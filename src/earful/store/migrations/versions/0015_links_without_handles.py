"""store links to originals only where they do not name the author

Links stored before this revision may hold the author's handle (`x.com/<handle>/status/...`,
`<instance>/@<handle>/...`, `bsky.app/profile/<did>/...`). Each is rewritten the way capture now
does it: X links to `/i/web/status/<id>`, Reddit profile posts to the short `/comments/` form,
and a link with no handle-free form, or that still names the author, is cleared (it stays in the
sealed raw item, and the audited author reveal shows it). The author's names come from the sealed
raw item when this deployment's secret opens it; otherwise the platforms' patterns alone decide.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1000


def _author_reader() -> Any:
    """Return a function from (format, external id, sealed bytes) to the author's names, or None
    when this deployment's secret is not at hand (then the links' patterns alone decide)."""
    import orjson

    from earful.connectors.files import map_item
    from earful.contracts import PostDraft, RawItem
    from earful.kit.seal import SealError
    from earful.settings import Settings
    from earful.store.sealing import raw_sealer

    try:
        sealer = raw_sealer(Settings().secret)
    except (RuntimeError, OSError, ValueError):
        return None

    def names(fmt: str, external_id: str, sealed: bytes) -> tuple[str | None, ...]:
        try:
            payload = orjson.loads(sealer.open(bytes(sealed)))
            draft = map_item(RawItem(format=fmt, external_id=external_id, payload=payload))
        except (SealError, ValueError):
            return ()
        if not isinstance(draft, PostDraft):
            return ()
        return (draft.author_handle, *draft.author_aliases)

    return names


def upgrade() -> None:
    from earful.pipeline.links import public_link

    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # The old links must not survive in freed pages of the database file.
        conn.execute(sa.text("PRAGMA secure_delete=ON"))
    reader: Any = False  # read the secret only when there are links to check
    after = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT p.id, p.url, p.external_id, r.format, r.sealed FROM posts p "
                "LEFT JOIN raw_items r ON r.post_id = p.id "
                "WHERE p.url IS NOT NULL AND p.id > :after ORDER BY p.id LIMIT :chunk"
            ),
            {"after": after, "chunk": CHUNK},
        ).fetchall()
        if not rows:
            break
        if reader is False:
            reader = _author_reader()
        for post_id, url, external_id, fmt, sealed in rows:
            author = reader(fmt, external_id, sealed) if reader and sealed is not None else ()
            link = public_link(url, author)
            if link != url:
                conn.execute(
                    sa.text("UPDATE posts SET url = :url WHERE id = :id"), {"url": link, "id": post_id}
                )
        after = rows[-1][0]


def downgrade() -> None:
    # The links as captured are still in the sealed raw items; nothing to put back.
    pass
