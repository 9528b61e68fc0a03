"""Duplicates merged into a case (the merged report points to it), and each step's deadline
(立案, 派遣, 处置, 核查, 结案 each have their own time limit).

Revision ID: 0016_case_merges_and_steps
Revises: 0015_case_indexes
Create Date: 2026-12-06 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_case_merges_and_steps'
down_revision = '0015_case_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_limits_h', sa.JSON(), nullable=True))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('step_deadline_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('step_overdue_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_reports_merged_into_id', ['merged_into_id'], unique=False)
        batch_op.create_foreign_key('fk_reports_merged_into_id_reports', 'reports',
                                    ['merged_into_id'], ['id'])


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint('fk_reports_merged_into_id_reports', type_='foreignkey')
        batch_op.drop_index('ix_reports_merged_into_id')
        batch_op.drop_column('step_overdue_at')
        batch_op.drop_column('step_deadline_at')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('step_limits_h')
