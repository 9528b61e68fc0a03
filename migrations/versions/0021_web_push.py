"""Web Push: browsers' push subscriptions and the background jobs' log

Revision ID: 0021_web_push
Revises: 0020_citizen_signup
Create Date: 2026-12-07 00:20:00

"""


# revision identifiers, used by Alembic.
revision = '0021_web_push'
down_revision = '0020_citizen_signup'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
