"""store Reddit links without their title slug

A Reddit post's link carries its title as a slug (`/r/<sub>/comments/<id>/call_maria_on_07700_9/`),
which is what the post says before redaction. Links stored before this revision are cut to the
short form capture now stores (`/comments/<id>/`, or `/comments/<id>/_/<comment>/`), which leads
to the same thread.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1000


def upgrade() -> None:
    from earful.pipeline.links import public_link

    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # The old links must not survive in freed pages of the database file.
        conn.execute(sa.text("PRAGMA secure_delete=ON"))
    after = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, url FROM posts WHERE url LIKE '%reddit.com/%' AND id > :after "
                "ORDER BY id LIMIT :chunk"
            ),
            {"after": after, "chunk": CHUNK},
        ).fetchall()
        if not rows:
            break
        for post_id, url in rows:
            link = public_link(url, ())
            if link != url:
                update = sa.text("UPDATE posts SET url = :url WHERE id = :id")
                conn.execute(update, {"url": link, "id": post_id})
        after = rows[-1][0]


def downgrade() -> None:
    # The links as captured are still in the sealed raw items; nothing to put back.
    pass
