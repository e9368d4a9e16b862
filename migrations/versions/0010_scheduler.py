"""scheduler rules (issue 5): transfer handovers, the TB treatment phase of orders

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transfer_handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('transfer_event_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('to_facility_id', sa.Integer(), nullable=False),
    sa.Column('programmes', sa.JSON(), nullable=False),
    sa.Column('prescription_sent', sa.Boolean(), nullable=False),
    sa.Column('mar_summary_sent', sa.Boolean(), nullable=False),
    sa.Column('last_dose_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('take_home_doses', sa.Integer(), nullable=True),
    sa.Column('treatment_card_sent', sa.Boolean(), nullable=False),
    sa.Column('tb_doses_remaining', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episode.id'], name=op.f('fk_transfer_handover_episode_id_custody_episode')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_transfer_handover_facility_id_facility')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_transfer_handover_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_transfer_handover_recorded_by_id_staff_user')),
    sa.ForeignKeyConstraint(['to_facility_id'], ['facility.id'], name=op.f('fk_transfer_handover_to_facility_id_facility')),
    sa.ForeignKeyConstraint(['transfer_event_id'], ['custody_event.id'], name=op.f('fk_transfer_handover_transfer_event_id_custody_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_handover'))
    )
    with op.batch_alter_table('transfer_handover', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_handover_event', ['transfer_event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_handover_patient_id'), ['patient_id'], unique=False)

    with op.batch_alter_table('medication_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=16), nullable=True))
    # Existing TB orders: the intensive phase, whose interruption rules are the stricter
    # (TB-02 on any missed dose, TB-01 at 14 days): a clinician corrects it by a new version.
    op.execute("UPDATE medication_order SET phase = 'intensive' WHERE programme = 'tb'")


def downgrade():
    with op.batch_alter_table('medication_order', schema=None) as batch_op:
        batch_op.drop_column('phase')
    with op.batch_alter_table('transfer_handover', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_handover_patient_id'))
        batch_op.drop_index('ix_transfer_handover_event')
    op.drop_table('transfer_handover')
