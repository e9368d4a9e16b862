"""the scheduler's dose marks and interruption episodes

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dose_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dose_id', sa.Integer(), nullable=False),
    sa.Column('mark', sa.String(length=10), nullable=False),
    sa.Column('cause', sa.String(length=12), nullable=True),
    sa.Column('custody_event_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['custody_event_id'], ['custody_event.id'], name=op.f('fk_dose_mark_custody_event_id_custody_event')),
    sa.ForeignKeyConstraint(['dose_id'], ['scheduled_dose.id'], name=op.f('fk_dose_mark_dose_id_scheduled_dose')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_mark')),
    sa.UniqueConstraint('dose_id', name=op.f('uq_dose_mark_dose_id'))
    )
    op.create_table('interruption_episode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('programme', sa.String(length=8), nullable=False),
    sa.Column('drug_family', sa.String(length=20), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('length_days', sa.Integer(), nullable=False),
    sa.Column('missed_days', sa.Integer(), nullable=False),
    sa.Column('missed_doses', sa.Integer(), nullable=False),
    sa.Column('held_days', sa.Integer(), nullable=False),
    sa.Column('cause', sa.String(length=24), nullable=False),
    sa.Column('cause_days', sa.JSON(), nullable=False),
    sa.Column('cause_event_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cause_event_id'], ['custody_event.id'], name=op.f('fk_interruption_episode_cause_event_id_custody_event')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_interruption_episode_facility_id_facility')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_interruption_episode_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interruption_episode')),
    sa.UniqueConstraint('patient_id', 'programme', 'start_on', name=op.f('uq_interruption_episode_patient_id_programme_start_on'))
    )
    with op.batch_alter_table('interruption_episode', schema=None) as batch_op:
        batch_op.create_index('ix_interruption_episode_end', ['end_on'], unique=False)
        batch_op.create_index('ix_interruption_episode_facility_start', ['facility_id', 'start_on'], unique=False)


def downgrade():
    with op.batch_alter_table('interruption_episode', schema=None) as batch_op:
        batch_op.drop_index('ix_interruption_episode_facility_start')
        batch_op.drop_index('ix_interruption_episode_end')
    op.drop_table('interruption_episode')
    op.drop_table('dose_mark')
