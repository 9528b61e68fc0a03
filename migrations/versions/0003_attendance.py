"""Attendance: the server's fence verdict fields, the reason for a punch outside, shifts.

Revision ID: 0003_attendance
Revises: 0002_sync
Create Date: 2026-11-23 17:56:50.878712

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_attendance'
down_revision = '0002_sync'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shifts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('region_id', sa.Uuid(), nullable=True),
    sa.Column('worker_id', sa.Uuid(), nullable=True),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('ends_at', sa.Time(), nullable=False),
    sa.Column('grace_min', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(region_id IS NULL) <> (worker_id IS NULL)', name=op.f('ck_shifts_region_or_worker')),
    sa.CheckConstraint('grace_min >= 0 AND grace_min <= 240', name=op.f('ck_shifts_grace_range')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_shifts_region_id_regions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_shifts_worker_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts')),
    sa.UniqueConstraint('region_id', name=op.f('uq_shifts_region_id')),
    sa.UniqueConstraint('worker_id', name=op.f('uq_shifts_worker_id'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('accuracy_flagged', sa.Boolean(), nullable=True))



def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('accuracy_flagged')
        batch_op.drop_column('reason')

    op.drop_table('shifts')
