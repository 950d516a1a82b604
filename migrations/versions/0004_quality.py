"""quality signals of responses, arrival windows, draft start

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 19:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unanswered', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('likert_same', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('crowd', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table('arrival_window',
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('window', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('survey_id', 'window')
    )


def downgrade() -> None:
    op.drop_table('arrival_window')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_column('started_at')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('crowd')
        batch_op.drop_column('likert_same')
        batch_op.drop_column('unanswered')
        batch_op.drop_column('minutes')
