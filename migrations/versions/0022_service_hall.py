"""The service hall: windows and the services they handle, tickets with their per-day
counters, appointment slots, ratings with their follow-up, supervision alerts; the hall
manager's role, and which halls each manager manages

Revision ID: 0022_service_hall
Revises: 0021_web_push
Create Date: 2026-12-07 01:52:16

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_service_hall'
down_revision = '0021_web_push'
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('admin', 'supervisor', 'worker', 'clerk', 'citizen', 'department')"
NEW_ROLES = ("role IN ('admin', 'supervisor', 'worker', 'clerk', 'citizen', 'department', "
             "'hall_manager')")


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', NEW_ROLES)

        op.create_table('appointment_slots',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_appointment_slots_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_slots')),
    sa.UniqueConstraint('service_id', 'starts_at', name=op.f('uq_appointment_slots_service_id'))
    )
    with op.batch_alter_table('appointment_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_slots_service_id'), ['service_id'], unique=False)

    op.create_table('hall_alerts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hall_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('subject_label', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Uuid(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_hall_alerts_acknowledged_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_hall_alerts_hall_id_halls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_alerts'))
    )
    with op.batch_alter_table('hall_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_hall_alerts_open', ['hall_id', 'acknowledged_at'], unique=False)

    op.create_table('ticket_counters',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_ticket_counters_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'day', name=op.f('pk_ticket_counters'))
    )
    op.create_table('windows',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hall_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=50), nullable=False),
    sa.Column('clerk_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idle_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clerk_id'], ['users.id'], name=op.f('fk_windows_clerk_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_windows_hall_id_halls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_windows')),
    sa.UniqueConstraint('clerk_id', name=op.f('uq_windows_clerk_id')),
    sa.UniqueConstraint('hall_id', 'number', name=op.f('uq_windows_hall_id'))
    )
    with op.batch_alter_table('windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_windows_hall_id'), ['hall_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slot_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['slot_id'], ['appointment_slots.id'], name=op.f('fk_appointments_slot_id_appointment_slots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_appointments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('slot_id', 'user_id', name=op.f('uq_appointments_slot_id'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_user_id'), ['user_id'], unique=False)

    op.create_table('window_services',
    sa.Column('window_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_window_services_service_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_window_services_window_id_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('window_id', 'service_id', name=op.f('pk_window_services'))
    )
    with op.batch_alter_table('window_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_window_services_service_id'), ['service_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hall_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('appointment_id', sa.Uuid(), nullable=True),
    sa.Column('priority_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('for_window_id', sa.Uuid(), nullable=True),
    sa.Column('window_id', sa.Uuid(), nullable=True),
    sa.Column('clerk_id', sa.Uuid(), nullable=True),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recalls', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('near_pushed', sa.Boolean(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_tickets_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['clerk_id'], ['users.id'], name=op.f('fk_tickets_clerk_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['for_window_id'], ['windows.id'], name=op.f('fk_tickets_for_window_id_windows'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_tickets_hall_id_halls')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_tickets_service_id_services')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tickets_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_tickets_window_id_windows'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('hall_id', 'day', 'number', name=op.f('uq_tickets_hall_id')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_tickets_user_id'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_hall_day', ['hall_id', 'day'], unique=False)
        batch_op.create_index('ix_tickets_queue', ['service_id', 'status', 'queued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_tickets_open_per_service', ['user_id', 'service_id'], unique=True, postgresql_where=sa.text("status IN ('waiting', 'called')"), sqlite_where=sa.text("status IN ('waiting', 'called')"))

    op.create_table('ticket_ratings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('hall_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('followup_status', sa.String(length=16), nullable=True),
    sa.Column('followup_action', sa.Text(), nullable=False),
    sa.Column('followup_by', sa.Uuid(), nullable=True),
    sa.Column('followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['followup_by'], ['users.id'], name=op.f('fk_ticket_ratings_followup_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_ticket_ratings_hall_id_halls')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_ratings_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_ratings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_ratings')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_ticket_ratings_ticket_id'))
    )
    with op.batch_alter_table('ticket_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_ratings_hall_id'), ['hall_id'], unique=False)

    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('opening_hours', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('wait_alert_min', sa.Integer(), nullable=False, server_default=sa.text("'30'")))
        batch_op.add_column(sa.Column('idle_alert_min', sa.Integer(), nullable=False, server_default=sa.text("'5'")))

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avg_service_min', sa.Float(), nullable=False, server_default=sa.text("'9'")))
        batch_op.add_column(sa.Column('time_limit_min', sa.Integer(), nullable=False, server_default=sa.text("'20'")))
        batch_op.add_column(sa.Column('daily_limit', sa.Integer(), nullable=False, server_default=sa.text("'200'")))
        batch_op.add_column(sa.Column('sort_order', sa.Integer(), nullable=False, server_default=sa.text("'0'")))

    op.create_table('hall_managers',
    sa.Column('hall_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_hall_managers_hall_id_halls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_hall_managers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hall_id', 'user_id', name=op.f('pk_hall_managers'))
    )
    with op.batch_alter_table('hall_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_managers_user_id'), ['user_id'], unique=False)



def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'hall_manager'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', OLD_ROLES)

    op.drop_table('hall_managers')

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('sort_order')
        batch_op.drop_column('daily_limit')
        batch_op.drop_column('time_limit_min')
        batch_op.drop_column('avg_service_min')

    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_column('idle_alert_min')
        batch_op.drop_column('wait_alert_min')
        batch_op.drop_column('opening_hours')
        batch_op.drop_column('address')

    with op.batch_alter_table('ticket_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_ratings_hall_id'))

    op.drop_table('ticket_ratings')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('uq_tickets_open_per_service', postgresql_where=sa.text("status IN ('waiting', 'called')"), sqlite_where=sa.text("status IN ('waiting', 'called')"))
        batch_op.drop_index(batch_op.f('ix_tickets_user_id'))
        batch_op.drop_index('ix_tickets_queue')
        batch_op.drop_index('ix_tickets_hall_day')

    op.drop_table('tickets')
    with op.batch_alter_table('window_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_window_services_service_id'))

    op.drop_table('window_services')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_user_id'))

    op.drop_table('appointments')
    with op.batch_alter_table('windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_windows_hall_id'))

    op.drop_table('windows')
    op.drop_table('ticket_counters')
    with op.batch_alter_table('hall_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_hall_alerts_open')

    op.drop_table('hall_alerts')
    with op.batch_alter_table('appointment_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_slots_service_id'))

    op.drop_table('appointment_slots')
