"""releases of results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('result_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('boundaries', sa.JSON(), nullable=False),
    sa.Column('publication', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('survey_id', 'number')
    )
    with op.batch_alter_table('result_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_release_survey_id'), ['survey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('result_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_release_survey_id'))
    op.drop_table('result_release')
