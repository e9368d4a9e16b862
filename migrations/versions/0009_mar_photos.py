"""patient photos; a covering index for the pill pass's guards (issue 4)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patient_photo',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('patient_id')
    )
    with op.batch_alter_table('scheduled_dose', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_dose_patient_day_status',
                              ['patient_id', 'local_date', 'status', 'order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('scheduled_dose', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_dose_patient_day_status')
    op.drop_table('patient_photo')
