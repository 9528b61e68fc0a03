"""Each change in the sync log keeps the record's JSON as pull serves it; an index of
the public changes, so that a small scope's pull reads only its own changes

Revision ID: 0024_sync_change_entries
Revises: 0023_certificates
Create Date: 2026-12-07 09:00:00

Changes logged before this have none; pull reads their records as before, until they
change again.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024_sync_change_entries'
down_revision = '0023_certificates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry', sa.Text(), nullable=True))
        batch_op.create_index('ix_sync_changes_public', ['seq'], unique=False,
                              postgresql_where=sa.text('is_public IS TRUE'),
                              sqlite_where=sa.text('is_public IS TRUE'))


def downgrade():
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_changes_public', postgresql_where=sa.text('is_public IS TRUE'),
                            sqlite_where=sa.text('is_public IS TRUE'))
        batch_op.drop_column('entry')
