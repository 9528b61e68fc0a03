"""Sign-in sessions: refresh tokens rotate (a generation per session, when it last rotated).

Revision ID: 0009_refresh_rotation
Revises: 0008_departments
Create Date: 2026-12-06 19:04:49.191612

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_refresh_rotation'
down_revision = '0008_departments'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refresh_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True))

def downgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('rotated_at')
        batch_op.drop_column('refresh_generation')

