"""E-certificates: issuers and their encrypted signing keys, certificate types, the
certificates with their status-list indexes, where each was used, requests by consent,
bulk imports; the official's role (核验人员)

Revision ID: 0023_certificates
Revises: 0022_service_hall
Create Date: 2026-12-07 05:03:31.740398

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023_certificates'
down_revision = '0022_service_hall'
branch_labels = None
depends_on = None


OLD_ROLES = ("role IN ('admin', 'supervisor', 'worker', 'clerk', 'citizen', 'department', "
             "'hall_manager')")
NEW_ROLES = ("role IN ('admin', 'supervisor', 'worker', 'clerk', 'citizen', 'department', "
             "'hall_manager', 'official')")


def _roles(check: str) -> None:
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', check)


def upgrade():
    _roles(NEW_ROLES)
    op.create_table('certificate_issuers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('next_status_index', sa.Integer(), nullable=False),
    sa.Column('status_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_certificate_issuers_department_id_departments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_issuers')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_issuers_code'))
    )
    with op.batch_alter_table('certificate_issuers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_issuers_department_id'), ['department_id'], unique=False)

    op.create_table('certificate_imports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_certificate_imports_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_imports'))
    )
    op.create_table('certificate_signing_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('public_x', sa.String(length=64), nullable=False),
    sa.Column('public_y', sa.String(length=64), nullable=False),
    sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_id'], ['certificate_issuers.id'], name=op.f('fk_certificate_signing_keys_issuer_id_certificate_issuers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_signing_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_certificate_signing_keys_kid'))
    )
    with op.batch_alter_table('certificate_signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_signing_keys_issuer_id'), ['issuer_id'], unique=False)
        batch_op.create_index('uq_certificate_signing_keys_current', ['issuer_id'], unique=True, sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"))

    op.create_table('certificate_types',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['certificate_issuers.id'], name=op.f('fk_certificate_types_issuer_id_certificate_issuers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_types')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_types_code'))
    )
    with op.batch_alter_table('certificate_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_types_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('type_id', sa.Uuid(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=False),
    sa.Column('key_id', sa.Uuid(), nullable=False),
    sa.Column('holder_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('holder_name', sa.String(length=100), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=200), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('qr', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_certificates_holder_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_certificates_issued_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issuer_id'], ['certificate_issuers.id'], name=op.f('fk_certificates_issuer_id_certificate_issuers')),
    sa.ForeignKeyConstraint(['key_id'], ['certificate_signing_keys.id'], name=op.f('fk_certificates_key_id_certificate_signing_keys')),
    sa.ForeignKeyConstraint(['type_id'], ['certificate_types.id'], name=op.f('fk_certificates_type_id_certificate_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('issuer_id', 'status_index', name=op.f('uq_certificates_issuer_id')),
    sa.UniqueConstraint('type_id', 'number', name=op.f('uq_certificates_type_id'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_type_id'), ['type_id'], unique=False)

    op.create_table('certificate_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('window_id', sa.Uuid(), nullable=False),
    sa.Column('clerk_id', sa.Uuid(), nullable=False),
    sa.Column('citizen_id', sa.Uuid(), nullable=False),
    sa.Column('type_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('certificate_id', sa.Uuid(), nullable=True),
    sa.Column('verification', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_requests_certificate_id_certificates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['citizen_id'], ['users.id'], name=op.f('fk_certificate_requests_citizen_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clerk_id'], ['users.id'], name=op.f('fk_certificate_requests_clerk_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_certificate_requests_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['type_id'], ['certificate_types.id'], name=op.f('fk_certificate_requests_type_id_certificate_types')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_certificate_requests_window_id_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_requests'))
    )
    with op.batch_alter_table('certificate_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_requests_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_requests_clerk_id'), ['clerk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_requests_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('certificate_uses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('certificate_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('verifier_id', sa.Uuid(), nullable=True),
    sa.Column('verifier_name', sa.String(length=100), nullable=True),
    sa.Column('organisation', sa.String(length=100), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_uses_certificate_id_certificates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['certificate_requests.id'], name=op.f('fk_certificate_uses_request_id_certificate_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verifier_id'], ['users.id'], name=op.f('fk_certificate_uses_verifier_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_uses'))
    )
    with op.batch_alter_table('certificate_uses', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_uses_certificate_at', ['certificate_id', 'at'], unique=False)



def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'official'")
    _roles(OLD_ROLES)
    with op.batch_alter_table('certificate_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_uses_certificate_at')

    op.drop_table('certificate_uses')
    with op.batch_alter_table('certificate_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_requests_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_requests_clerk_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_requests_citizen_id'))

    op.drop_table('certificate_requests')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_type_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_key_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_holder_id'))

    op.drop_table('certificates')
    with op.batch_alter_table('certificate_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_types_issuer_id'))

    op.drop_table('certificate_types')
    with op.batch_alter_table('certificate_signing_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_signing_keys_current', sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"))
        batch_op.drop_index(batch_op.f('ix_certificate_signing_keys_issuer_id'))

    op.drop_table('certificate_signing_keys')
    op.drop_table('certificate_imports')
    with op.batch_alter_table('certificate_issuers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_issuers_department_id'))

    op.drop_table('certificate_issuers')
