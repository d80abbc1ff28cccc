"""index only posts that have words: capture no longer writes an empty full-text entry per post

Capture stores a post without title or text (enrichment fills them in later), yet the insert
trigger of 0007 gave every such post an entry in the SQLite full-text index, with no words in it:
about two thirds of the time of a bulk import went there. The triggers now index a post only when
it has a title or text, and remove from the index only what they put there; the empty entries
already made are removed, so the index and the triggers agree. PostgreSQL is unchanged.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ("posts_fts_insert", "posts_fts_delete", "posts_fts_update")
CONDITIONAL = [
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts "
    "WHEN new.title IS NOT NULL OR new.text IS NOT NULL BEGIN "
    "INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts "
    "WHEN old.title IS NOT NULL OR old.text IS NOT NULL BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, text) "
    "SELECT 'delete', old.id, old.title, old.text WHERE old.title IS NOT NULL OR old.text IS NOT NULL; "
    "INSERT INTO posts_fts(rowid, title, text) "
    "SELECT new.id, new.title, new.text WHERE new.title IS NOT NULL OR new.text IS NOT NULL; END",
]
# As 0007 made them.
EVERY_POST = [
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(
        "INSERT INTO posts_fts(posts_fts, rowid, title, text) "
        "SELECT 'delete', id, NULL, NULL FROM posts WHERE title IS NULL AND text IS NULL"
    )
    for statement in CONDITIONAL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(
        "INSERT INTO posts_fts(rowid, title, text) "
        "SELECT id, NULL, NULL FROM posts WHERE title IS NULL AND text IS NULL"
    )
    for statement in EVERY_POST:
        op.execute(statement)
