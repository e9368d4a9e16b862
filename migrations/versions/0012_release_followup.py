"""release follow-up (issue 7): which appointment and which check (3, 7, 30 days)
a follow-up answers

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('release_follow_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('need', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('checkpoint_day', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('release_follow_up', schema=None) as batch_op:
        batch_op.drop_column('checkpoint_day')
        batch_op.drop_column('need')
