"""sources of a kind Earful does not know get the kind they are: the demo's `news`, `feedback_form`
and `forum` (before its manifest was corrected) become `rss`, `webhook` and `community`, and any
other unknown kind (made by `earful import --create --kind` before it was checked) becomes `file`.
`earful source set` and the admin form refuse a source whose kind is unknown, so such a source
could not be changed or disabled. Data only: the schema is unchanged.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds of this revision (earful.ingest.sources.KINDS then): a migration keeps its own copy.
KNOWN = ("file", "folder", "reddit", "x", "mastodon", "bluesky", "rss", "facebook", "community", "webhook")
RENAMED = {"news": "rss", "feedback_form": "webhook", "forum": "community"}


def upgrade() -> None:
    sources = sa.table("sources", sa.column("kind", sa.String))
    for old, new in RENAMED.items():
        op.execute(sources.update().where(sources.c.kind == old).values(kind=new))
    op.execute(sources.update().where(sources.c.kind.not_in(KNOWN)).values(kind="file"))


def downgrade() -> None:
    pass  # which unknown kind a source had is not kept: nothing to put back
