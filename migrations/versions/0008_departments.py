"""Departments (职能部门): the units that handle cases, synced to every phone as reference data.

Revision ID: 0008_departments
Revises: 0007_report_location_quality
Create Date: 2026-12-06 17:48:07.709831

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_departments'
down_revision = '0007_report_location_quality'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )


def downgrade():
    op.drop_table('departments')
