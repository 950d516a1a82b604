"""submission: the status index also holds the version (counting a version's excluded
responses is a seek, not a read of every row's status)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:10:00
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_submission_status_version', 'submission', ['status', 'version_id'], unique=False
    )
    op.drop_index('ix_submission_status', table_name='submission')


def downgrade() -> None:
    op.create_index('ix_submission_status', 'submission', ['status'], unique=False)
    op.drop_index('ix_submission_status_version', table_name='submission')
