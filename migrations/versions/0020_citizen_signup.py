"""Citizens sign up: what an account keeps beyond the sign-in (left empty when nothing)

Revision ID: 0020_citizen_signup
Revises: 0019_case_rollup
Create Date: 2026-12-07 00:20:00

"""


# revision identifiers, used by Alembic.
revision = '0020_citizen_signup'
down_revision = '0019_case_rollup'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
