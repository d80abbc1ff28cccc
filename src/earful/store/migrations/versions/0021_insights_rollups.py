"""insights rollups: posts counted per UTC hour and day, kept fresh lazily; a stored search column

PostgreSQL's search document becomes a stored generated column (search_vector) under the GIN
index, so a page that walks posts in date order checks the search without recomputing it.

The Insights page over a year counted every post of the year on each view (seconds at a million
posts, minutes at ten million). Now it sums these tables, which hold the same counts per UTC hour
(volume; categories too), per UTC day (volume and categories) and per UTC month (categories, levels "mtp"
and "msb": the sums of the month's day rows), refreshed a day at a time when read.

A day's rows are fresh when it is in `rollup_days` and has no row in `rollup_changes`. Triggers on
posts and labels append the UTC day of every post they change to `rollup_changes` (PostgreSQL:
once per statement and day, through transition tables; SQLite: once per day until refreshed),
and a refresh deletes the day's changes before it counts, so a change committed while it counts
leaves the day stale again rather than lost. The partial index on analysts' labels makes the
"an analyst's labels replace the model's" check an index probe that finds nothing on most posts.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 22:00:00
"""

# ruff: noqa: S608 - the SQL is assembled from constants of this file, never from input

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DAY = "strftime('%Y-%m-%d', {0}.posted_at)"
# Appends a day unless it is already waiting: SQLite has one writer at a time, so this never waits.
SQLITE_MARK = (
    "INSERT INTO rollup_changes (day) SELECT {day} "
    "WHERE NOT EXISTS (SELECT 1 FROM rollup_changes WHERE day = {day});"
)
POST_COLUMNS = "posted_at, source_id, sentiment, text, duplicate_of"


def _sqlite_triggers() -> list[str]:
    new, old = SQLITE_DAY.format("new"), SQLITE_DAY.format("old")
    label_day = "(SELECT strftime('%Y-%m-%d', posted_at) FROM posts WHERE id = {0}.post_id)"
    new_label, old_label = label_day.format("new"), label_day.format("old")
    mark = SQLITE_MARK.format
    return [
        f"CREATE TRIGGER rollup_posts_insert AFTER INSERT ON posts BEGIN {mark(day=new)} END",
        f"CREATE TRIGGER rollup_posts_delete AFTER DELETE ON posts BEGIN {mark(day=old)} END",
        f"CREATE TRIGGER rollup_posts_update AFTER UPDATE OF {POST_COLUMNS} ON posts BEGIN "
        f"{mark(day=old)} {mark(day=new)} END",
        f"CREATE TRIGGER rollup_labels_insert AFTER INSERT ON labels "
        f"WHEN {new_label} IS NOT NULL BEGIN {mark(day=new_label)} END",
        f"CREATE TRIGGER rollup_labels_delete AFTER DELETE ON labels "
        f"WHEN {old_label} IS NOT NULL BEGIN {mark(day=old_label)} END",
        f"CREATE TRIGGER rollup_labels_update AFTER UPDATE OF post_id, category_id, by ON labels BEGIN "
        f"INSERT INTO rollup_changes (day) SELECT d FROM (SELECT {old_label} AS d UNION SELECT {new_label}) "
        "WHERE d IS NOT NULL AND d NOT IN (SELECT day FROM rollup_changes); END",
    ]


PG_DAY = "to_char({0}.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
# The days each statement touched (a bulk import: a few rows, not one per post).
PG_DAYS = {
    "rollup_posts_inserted": f"SELECT DISTINCT {PG_DAY.format('n')} FROM new_rows n",
    "rollup_posts_deleted": f"SELECT DISTINCT {PG_DAY.format('o')} FROM old_rows o",
    "rollup_posts_updated": "SELECT DISTINCT d FROM old_rows o JOIN new_rows n ON n.id = o.id "
    f"CROSS JOIN LATERAL (VALUES ({PG_DAY.format('o')}), ({PG_DAY.format('n')})) AS days(d) "
    "WHERE (o.posted_at, o.source_id, o.sentiment, o.text IS NULL, o.duplicate_of) "
    "IS DISTINCT FROM (n.posted_at, n.source_id, n.sentiment, n.text IS NULL, n.duplicate_of)",
    "rollup_labels_inserted": f"SELECT DISTINCT {PG_DAY.format('p')} "
    "FROM new_rows n JOIN posts p ON p.id = n.post_id",
    "rollup_labels_deleted": f"SELECT DISTINCT {PG_DAY.format('p')} "
    "FROM old_rows o JOIN posts p ON p.id = o.post_id",
    "rollup_labels_updated": f"SELECT DISTINCT {PG_DAY.format('p')} "
    "FROM (SELECT post_id FROM old_rows UNION SELECT post_id FROM new_rows) AS l "
    "JOIN posts p ON p.id = l.post_id",
}
# No unique key on the day, so concurrent writers of one day never wait for each other; a day
# already waiting (committed) is not added again.
PG_FUNCTIONS = {
    name: f"INSERT INTO rollup_changes (day) SELECT t.d FROM ({days}) AS t(d) "
    "WHERE NOT EXISTS (SELECT 1 FROM rollup_changes c WHERE c.day = t.d)"
    for name, days in PG_DAYS.items()
}
PG_TRIGGERS = [
    ("rollup_posts_insert", "INSERT", "posts", "NEW TABLE AS new_rows", "rollup_posts_inserted"),
    ("rollup_posts_delete", "DELETE", "posts", "OLD TABLE AS old_rows", "rollup_posts_deleted"),
    (
        "rollup_posts_update",
        "UPDATE",
        "posts",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "rollup_posts_updated",
    ),
    ("rollup_labels_insert", "INSERT", "labels", "NEW TABLE AS new_rows", "rollup_labels_inserted"),
    ("rollup_labels_delete", "DELETE", "labels", "OLD TABLE AS old_rows", "rollup_labels_deleted"),
    (
        "rollup_labels_update",
        "UPDATE",
        "labels",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "rollup_labels_updated",
    ),
]
ANALYST = "by = 'analyst'"
# The search document, stored: a page in date order checks each post it walks against the search,
# and computing to_tsvector for each (an expression index cannot give it back) cost seconds at a
# million posts. Stored, the check reads a column; the GIN index is built over the column.
PG_DOCUMENT = "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(text, ''))"
PG_SEARCH_UP = [
    "DROP INDEX IF EXISTS ix_posts_search",
    f"ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED",
    "CREATE INDEX ix_posts_search ON posts USING gin (search_vector)",
]
PG_SEARCH_DOWN = [
    "DROP INDEX IF EXISTS ix_posts_search",
    "ALTER TABLE posts DROP COLUMN search_vector",
    f"CREATE INDEX ix_posts_search ON posts USING gin ({PG_DOCUMENT})",
]


def upgrade() -> None:
    op.create_table(
        "rollup_days",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_rollup_days")),
    )
    op.create_table(
        "rollup_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("day", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_changes")),
    )
    op.create_index("ix_rollup_changes_day", "rollup_changes", ["day"])
    op.create_table(
        "rollup_volume",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sentiment", sa.String(12), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rollup_volume_hour", "rollup_volume", ["hour"])
    op.create_index("ix_rollup_volume_day", "rollup_volume", ["day"])
    # The same per UTC day: a year's timeline reads 365 days' rows, not 8,760 hours'.
    op.create_table(
        "rollup_volume_days",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sentiment", sa.String(12), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rollup_volume_days_day", "rollup_volume_days", ["day"])
    op.create_table(
        "rollup_categories",
        sa.Column("day", sa.String(10), nullable=False),
        # NULL on a day's totals; the hour otherwise.
        sa.Column("hour", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level", sa.String(3), nullable=False),
        sa.Column("category_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sentiment", sa.String(12), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rollup_categories_day", "rollup_categories", ["day", "hour"])
    op.create_index("ix_rollup_categories_hour", "rollup_categories", ["level", "hour"])
    # A long range reads days' totals only, not the hours beside them.
    op.create_index(
        "ix_rollup_categories_totals",
        "rollup_categories",
        ["level", "day"],
        sqlite_where=sa.text("hour IS NULL"),
        postgresql_where=sa.text("hour IS NULL"),
    )
    op.create_index(
        "ix_labels_analyst",
        "labels",
        ["post_id"],
        sqlite_where=sa.text(ANALYST),
        postgresql_where=sa.text(ANALYST),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_triggers():
            op.execute(statement)
        return
    for statement in PG_SEARCH_UP:
        op.execute(statement)
    for name, body in PG_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {body}; RETURN NULL; END $$"
        )
    for trigger, event, table, referencing, function in PG_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "rollup_posts_insert",
            "rollup_posts_delete",
            "rollup_posts_update",
            "rollup_labels_insert",
            "rollup_labels_delete",
            "rollup_labels_update",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for trigger, _, table, _, _ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        for statement in PG_SEARCH_DOWN:
            op.execute(statement)
    op.drop_index("ix_labels_analyst", table_name="labels")
    op.drop_index("ix_rollup_categories_totals", table_name="rollup_categories")
    op.drop_index("ix_rollup_categories_hour", table_name="rollup_categories")
    op.drop_index("ix_rollup_categories_day", table_name="rollup_categories")
    op.drop_table("rollup_categories")
    op.drop_index("ix_rollup_volume_days_day", table_name="rollup_volume_days")
    op.drop_table("rollup_volume_days")
    op.drop_index("ix_rollup_volume_day", table_name="rollup_volume")
    op.drop_index("ix_rollup_volume_hour", table_name="rollup_volume")
    op.drop_table("rollup_volume")
    op.drop_index("ix_rollup_changes_day", table_name="rollup_changes")
    op.drop_table("rollup_changes")
    op.drop_table("rollup_days")
