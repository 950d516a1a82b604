"""reviewed free-text answers: categories, reviews, and the texts a release shows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 08:45:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('text_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('survey_id', 'question', 'label')
    )
    op.create_index(op.f('ix_text_category_survey_id'), 'text_category', ['survey_id'], unique=False)
    op.create_table('text_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_pk', sa.Integer(), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('translation', sa.Text(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submission_pk'], ['submission.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_pk', 'question')
    )
    op.create_index(op.f('ix_text_review_submission_pk'), 'text_review', ['submission_pk'], unique=False)
    op.create_index(op.f('ix_text_review_survey_id'), 'text_review', ['survey_id'], unique=False)
    with op.batch_alter_table('result_release') as batch:
        batch.add_column(sa.Column('texts', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('result_release') as batch:
        batch.drop_column('texts')
    op.drop_index(op.f('ix_text_review_survey_id'), table_name='text_review')
    op.drop_index(op.f('ix_text_review_submission_pk'), table_name='text_review')
    op.drop_table('text_review')
    op.drop_index(op.f('ix_text_category_survey_id'), table_name='text_category')
    op.drop_table('text_category')
