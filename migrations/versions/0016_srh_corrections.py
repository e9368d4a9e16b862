"""SRH corrections and endings (issue 6 review): where a child went when she left
her mother, and why a woman was escorted to hospital (labour/birth applies
Bangkok Rule 24 whatever the gestation).

Revision ID: 0016
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('srh_child', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_to', sa.String(length=200), nullable=True))
    with op.batch_alter_table('srh_hospital_escort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('srh_hospital_escort', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('srh_child', schema=None) as batch_op:
        batch_op.drop_column('left_to')
