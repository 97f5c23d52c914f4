"""a broadcast may circulate a campaign's report: its campaign and a document per language

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('documents', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_broadcast_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_broadcast_campaign_id_campaign', 'campaign', ['campaign_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_constraint('fk_broadcast_campaign_id_campaign', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_broadcast_campaign_id'))
        batch_op.drop_column('documents')
        batch_op.drop_column('campaign_id')
