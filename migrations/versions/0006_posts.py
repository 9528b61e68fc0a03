"""Posts (岗位): a point-and-radius fence, workers assigned to it, and the fence a punch used.

Revision ID: 0006_posts
Revises: 0005_report_timeline
Create Date: 2026-11-24 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_posts'
down_revision = '0005_report_timeline'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('posts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('region_id', sa.Uuid(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('radius_m', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('radius_m >= 10.0 AND radius_m <= 2000.0', name=op.f('ck_posts_radius_range')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_posts_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('region_id', 'name', name='uq_posts_region_id_name')
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_region_id'), ['region_id'], unique=False)

    op.create_table('post_assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_assignments_post_id_posts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_post_assignments_worker_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_assignments')),
    sa.UniqueConstraint('worker_id', name=op.f('uq_post_assignments_worker_id'))
    )
    with op.batch_alter_table('post_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_assignments_post_id'), ['post_id'], unique=False)

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fence_kind', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('fence_kind')

    with op.batch_alter_table('post_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_assignments_post_id'))
    op.drop_table('post_assignments')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_region_id'))
    op.drop_table('posts')
