"""questionnaires uploaded in the browser

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 22:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('definition', sa.JSON(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('questionnaire_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_upload_survey_id'), ['survey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_upload_survey_id'))
    op.drop_table('questionnaire_upload')
