"""Sync engine tables, the field-work collections and the reference collections.

Revision ID: 0002_sync
Revises: 0001_accounts_regions
Create Date: 2026-11-23 02:43:56.482780

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_sync'
down_revision = '0001_accounts_regions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_counters',
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_case_counters'))
    )

    op.create_table('attendance',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('punched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('inside_fence', sa.Boolean(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('clock_skew_s', sa.Float(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_worker_id'), ['worker_id'], unique=False)

    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blobs'))
    )
    op.create_table('categories',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('time_limit_h', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_categories_code'))
    )
    op.create_table('halls',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('fence_radius_m', sa.Float(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_halls'))
    )
    op.create_table('patrols',
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('grid_id', sa.Uuid(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrols'))
    )
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrols_worker_id'), ['worker_id'], unique=False)

    op.create_table('photos',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('record_collection', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('uploader_id', sa.Uuid(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('has_blob', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_sha256'), ['sha256'], unique=False)

    op.create_table('sync_changes',
    sa.Column('collection', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('collection', 'record_id', name=op.f('pk_sync_changes')),
    sa.UniqueConstraint('seq', name=op.f('uq_sync_changes_seq'))
    )
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_changes_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_sync_changes_scope_path', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'varchar_pattern_ops'})

    op.create_table('sync_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('collection', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('losing_value', sa.JSON(), nullable=True),
    sa.Column('winning_value', sa.JSON(), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('mid', sa.BigInteger(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('server_version', sa.Integer(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('resolution', sa.String(length=24), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts'))
    )
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflicts_record_id'), ['record_id'], unique=False)
        batch_op.create_index('ix_sync_conflicts_scope_path', ['scope_path'], unique=False, postgresql_ops={'scope_path': 'varchar_pattern_ops'})

    op.create_table('sync_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('horizon_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_counter'))
    )
    op.create_table('track_points',
    sa.Column('patrol_id', sa.Uuid(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_track_points'))
    )
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_track_points_patrol_id'), ['patrol_id'], unique=False)

    op.create_table('reports',
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('grid_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reporter_id', sa.Uuid(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['regions.id'], name=op.f('fk_reports_grid_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('code', name=op.f('uq_reports_code'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_reporter_id'), ['reporter_id'], unique=False)

    op.create_table('services',
    sa.Column('hall_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('field_clock', sa.JSON(), nullable=False),
    sa.Column('scope_path', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_services_hall_id_halls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_hall_id'), ['hall_id'], unique=False)

    op.create_table('sync_clients',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('last_mid', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_clients_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_sync_clients'))
    )
    with op.batch_alter_table('sync_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_clients_user_id'), ['user_id'], unique=False)

    op.create_table('sync_results',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('mid', sa.BigInteger(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['sync_clients.client_id'], name=op.f('fk_sync_results_client_id_sync_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', 'mid', name=op.f('pk_sync_results'))
    )
    with op.batch_alter_table('sync_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_results_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))




def downgrade():
    op.drop_table('case_counters')

    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('sync_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_results_created_at'))

    op.drop_table('sync_results')
    with op.batch_alter_table('sync_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_clients_user_id'))

    op.drop_table('sync_clients')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_hall_id'))

    op.drop_table('services')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_reports_grid_id'))

    op.drop_table('reports')
    with op.batch_alter_table('track_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_track_points_patrol_id'))

    op.drop_table('track_points')
    op.drop_table('sync_counter')
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_conflicts_scope_path', postgresql_ops={'scope_path': 'varchar_pattern_ops'})
        batch_op.drop_index(batch_op.f('ix_sync_conflicts_record_id'))

    op.drop_table('sync_conflicts')
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_changes_scope_path', postgresql_ops={'scope_path': 'varchar_pattern_ops'})
        batch_op.drop_index(batch_op.f('ix_sync_changes_owner_id'))

    op.drop_table('sync_changes')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_sha256'))
        batch_op.drop_index(batch_op.f('ix_photos_record_id'))

    op.drop_table('photos')
    with op.batch_alter_table('patrols', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrols_worker_id'))

    op.drop_table('patrols')
    op.drop_table('halls')
    op.drop_table('categories')
    op.drop_table('blobs')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_worker_id'))

    op.drop_table('attendance')

