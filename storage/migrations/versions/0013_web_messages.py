"""the web chat's transcript: web_message

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('incoming', sa.Boolean(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_message', schema=None) as batch_op:
        batch_op.create_index('ix_web_message_address', ['address', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_message', schema=None) as batch_op:
        batch_op.drop_index('ix_web_message_address')
    op.drop_table('web_message')
