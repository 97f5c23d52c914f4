"""campaign reminders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:05:54.827662
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types
from storage.models import DEFAULT_REMINDER_PLAN


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        # Campaigns created before reminders existed get the default plan at 10:00.
        batch_op.add_column(
            sa.Column(
                "reminder_plan",
                sa.JSON(),
                nullable=False,
                server_default=json.dumps(DEFAULT_REMINDER_PLAN),
            )
        )
        batch_op.add_column(
            sa.Column("local_hour", sa.Integer(), nullable=False, server_default="10")
        )
        batch_op.add_column(
            sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
        batch_op.drop_column("local_hour")
        batch_op.drop_column("reminder_plan")
