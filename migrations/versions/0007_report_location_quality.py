"""Reports: how good the place is (the GPS fix's accuracy, whether the pin was moved by hand).

Revision ID: 0007_report_location_quality
Revises: 0006_posts
Create Date: 2026-11-24 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_report_location_quality'
down_revision = '0006_posts'
branch_labels = None
depends_on = None


def upgrade():
    # Reports made before this revision: accuracy unknown, the pin taken as not moved.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accuracy_m', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('location_adjusted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.alter_column('location_adjusted', server_default=None)


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('location_adjusted')
        batch_op.drop_column('accuracy_m')
