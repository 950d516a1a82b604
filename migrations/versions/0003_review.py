"""review statuses of responses, exclusions in releases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 19:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='received', nullable=False))
        batch_op.create_index(batch_op.f('ix_submission_status'), ['status'], unique=False)
    with op.batch_alter_table('result_release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded', sa.JSON(), server_default='{}', nullable=False))
    op.create_table('review_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_pk', sa.Integer(), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_pk'], ['submission.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_event_submission_pk'), ['submission_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_event_survey_id'), ['survey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_event_survey_id'))
        batch_op.drop_index(batch_op.f('ix_review_event_submission_pk'))
    op.drop_table('review_event')
    with op.batch_alter_table('result_release', schema=None) as batch_op:
        batch_op.drop_column('excluded')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_status'))
        batch_op.drop_column('status')
