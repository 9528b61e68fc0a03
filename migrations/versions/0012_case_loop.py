"""The case loop: department staff (a role, bound to a department), who handles a case now
(tier, department, assignee), when it closed; categories that require "after" photos.

Revision ID: 0012_case_loop
Revises: 0011_sync_departures
Create Date: 2026-12-06 20:31:22.259718

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_case_loop'
down_revision = '0011_sync_departures'
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('admin', 'supervisor', 'worker', 'clerk', 'citizen')"
NEW_ROLES = "role IN ('admin', 'supervisor', 'worker', 'clerk', 'citizen', 'department')"


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', NEW_ROLES)

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('after_photo_required', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('after_photos', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('tier', sa.String(length=16), server_default='street', nullable=False))
        batch_op.add_column(sa.Column('department_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('assignee_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_reports_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reports_department_id_departments'), 'departments', ['department_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_department_id_departments'), 'departments', ['department_id'], ['id'], ondelete='RESTRICT')



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_department_id'))
        batch_op.drop_column('department_id')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reports_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reports_department_id'))
        batch_op.drop_index(batch_op.f('ix_reports_assignee_id'))
        batch_op.drop_column('closed_at')
        batch_op.drop_column('assignee_id')
        batch_op.drop_column('department_id')
        batch_op.drop_column('tier')
        batch_op.drop_column('after_photos')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('after_photo_required')

    op.execute("DELETE FROM user_roles WHERE role = 'department'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', OLD_ROLES)

