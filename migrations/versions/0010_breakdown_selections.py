"""breakdowns a working group selects per survey series

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 06:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('breakdown_selection',
    sa.Column('group_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('series', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('changed_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('group_id', 'series')
    )


def downgrade() -> None:
    op.drop_table('breakdown_selection')
