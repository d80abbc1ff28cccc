"""seal raw input and keep only redacted text on posts

Raw item payloads and quarantined input are encrypted under the deployment secret; posts lose
the `body` column (the text as received), and text stored before the redact stage existed is
cleared so it is rebuilt, redacted, from the sealed raw item by `earful enrich`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _secret() -> bytes:
    # Only needed when there are rows to seal; a new database never asks for it.
    from earful.settings import Settings

    return Settings().secret


def upgrade() -> None:
    from earful.store.sealing import quarantine_sealer, raw_sealer

    conn = op.get_bind()
    with op.batch_alter_table("raw_items") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    rows = conn.execute(sa.text("SELECT post_id, payload FROM raw_items")).fetchall()
    if rows:
        sealer = raw_sealer(_secret())
        for post_id, payload in rows:
            conn.execute(
                sa.text("UPDATE raw_items SET sealed = :s WHERE post_id = :p"),
                {"s": sealer.seal(payload), "p": post_id},
            )
    with op.batch_alter_table("raw_items") as batch:
        batch.drop_column("payload")
        batch.alter_column("sealed", existing_type=sa.LargeBinary(), nullable=False)

    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("sealed_raw", sa.LargeBinary(), nullable=True))
    rows = conn.execute(sa.text("SELECT id, source_id, origin, location, raw FROM quarantine")).fetchall()
    if rows:
        sealer = quarantine_sealer(_secret())
        for qid, source_id, origin, location, raw in rows:
            conn.execute(
                sa.text("UPDATE quarantine SET sealed_raw = :s, fingerprint = :f WHERE id = :i"),
                {
                    "s": sealer.seal(raw),
                    "f": sealer.tag(f"{source_id}\0{origin}\0{location}\0{raw}"),
                    "i": qid,
                },
            )
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("raw")
        batch.alter_column("sealed_raw", existing_type=sa.LargeBinary(), nullable=False)

    # Text stored before redaction existed may hold personal data: clear it to be rebuilt.
    conn.execute(
        sa.text(
            "UPDATE posts SET text = NULL, title = NULL WHERE id NOT IN "
            "(SELECT post_id FROM enrichments WHERE stage = 'redact')"
        )
    )
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("body")


def downgrade() -> None:
    # Sealed input cannot be put back as plain text without the secret, by design.
    raise RuntimeError("0002 cannot be downgraded: raw input is sealed; restore a backup instead.")
