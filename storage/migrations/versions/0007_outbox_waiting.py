"""outbox: a partial index of what still waits for each chat (queued or held)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "status IN ('queued', 'held')"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_waiting",
        "outbox",
        ["channel", "address"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_waiting", table_name="outbox")
