"""the Insights rollups' insert trigger skips posts without text: capture stores them by the million

A captured post has no text until enrichment fills it in, and the rollups count only posts with
text (enrichment's UPDATE of the text marks the day then). The SQLite insert trigger of 0021 still
worked out the day and looked it up in `rollup_changes` for every captured post: about a tenth of
a bulk import's writing. It now runs only for a post inserted with its text. PostgreSQL's triggers
work once per statement, over all its rows together, and are unchanged.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DAY = "strftime('%Y-%m-%d', new.posted_at)"
# Fixed SQL of our own: no value from input is in it.
_MARK = (
    f"INSERT INTO rollup_changes (day) SELECT {_DAY} "  # noqa: S608
    f"WHERE NOT EXISTS (SELECT 1 FROM rollup_changes WHERE day = {_DAY});"
)
WITH_TEXT = (
    f"CREATE TRIGGER rollup_posts_insert AFTER INSERT ON posts WHEN new.text IS NOT NULL BEGIN {_MARK} END"
)
# As 0021 made it.
EVERY_POST = f"CREATE TRIGGER rollup_posts_insert AFTER INSERT ON posts BEGIN {_MARK} END"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS rollup_posts_insert")
    op.execute(WITH_TEXT)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS rollup_posts_insert")
    op.execute(EVERY_POST)
