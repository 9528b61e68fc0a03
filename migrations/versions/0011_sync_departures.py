"""Sync departures: a record whose audience changed leaves the devices of its old audience.

Revision ID: 0011_sync_departures
Revises: 0010_audit_log
Create Date: 2026-12-06 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_sync_departures'
down_revision = '0010_audit_log'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_departures',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('collection', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_departures'))
    )
    with op.batch_alter_table('sync_counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('departed_seq', sa.BigInteger(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('sync_counter', schema=None) as batch_op:
        batch_op.drop_column('departed_seq')

    op.drop_table('sync_departures')
