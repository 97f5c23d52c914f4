"""submission: the unique key serves lookups by state and flow; a partial index the current

The single-column indexes on `country_code` and `flow_id` go. A plan PostgreSQL cached while
the table was small picked the `flow_id` one over the unique key, and then read every
version of the flow to find one state's latest. The unique key (country_code, flow_id,
scope, version) answers those lookups, and `ix_submission_current` the reads of current
submissions by flow (and state).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch_op:
        batch_op.drop_index("ix_submission_flow_id")
        batch_op.drop_index("ix_submission_country_code")
    op.create_index(
        "ix_submission_current",
        "submission",
        ["flow_id", "country_code"],
        postgresql_where=sa.text("is_current"),
        sqlite_where=sa.text("is_current = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_submission_current", table_name="submission")
    with op.batch_alter_table("submission") as batch_op:
        batch_op.create_index("ix_submission_country_code", ["country_code"])
        batch_op.create_index("ix_submission_flow_id", ["flow_id"])
