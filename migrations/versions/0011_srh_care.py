"""SRH due dates and enabling (issue 6): an enabled SRH record can be revoked

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('srh_enablement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_srh_enablement_revoked_by_id_staff_user'),
                                    'staff_user', ['revoked_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('srh_enablement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_srh_enablement_revoked_by_id_staff_user'),
                                 type_='foreignkey')
        batch_op.drop_column('revoke_reason')
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('revoked_at')
