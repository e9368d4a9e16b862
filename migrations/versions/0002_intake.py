"""intake: checklist instances and answers, community medication (issue 3)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:41:02.546033

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_medication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=8), nullable=False),
    sa.Column('drug', sa.String(length=200), nullable=False),
    sa.Column('dose', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('last_dose_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('clinic', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episode.id'], name=op.f('fk_community_medication_episode_id_custody_episode')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_community_medication_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_community_medication_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_medication'))
    )
    with op.batch_alter_table('community_medication', schema=None) as batch_op:
        batch_op.create_index('ix_community_medication_episode', ['episode_id', 'programme'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_medication_patient_id'), ['patient_id'], unique=False)

    op.create_table('checklist_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('definition_version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('subject', sa.JSON(), nullable=False),
    sa.Column('trigger_event_id', sa.Integer(), nullable=False),
    sa.Column('anchor_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episode.id'], name=op.f('fk_checklist_instance_episode_id_custody_episode')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_checklist_instance_facility_id_facility')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_checklist_instance_patient_id_patient')),
    sa.ForeignKeyConstraint(['trigger_event_id'], ['custody_event.id'], name=op.f('fk_checklist_instance_trigger_event_id_custody_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_instance'))
    )
    with op.batch_alter_table('checklist_instance', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_instance_episode_kind', ['episode_id', 'kind'], unique=False)
        batch_op.create_index('ix_checklist_instance_facility_open', ['facility_id', 'completed_at', 'next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_instance_patient_id'), ['patient_id'], unique=False)

    op.create_table('checklist_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=8), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['staff_user.id'], name=op.f('fk_checklist_answer_answered_by_id_staff_user')),
    sa.ForeignKeyConstraint(['instance_id'], ['checklist_instance.id'], name=op.f('fk_checklist_answer_instance_id_checklist_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_answer'))
    )
    with op.batch_alter_table('checklist_answer', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_answer_instance_item', ['instance_id', 'item_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('checklist_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_answer_instance_item')

    op.drop_table('checklist_answer')
    with op.batch_alter_table('checklist_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_instance_patient_id'))
        batch_op.drop_index('ix_checklist_instance_facility_open')
        batch_op.drop_index('ix_checklist_instance_episode_kind')

    op.drop_table('checklist_instance')
    with op.batch_alter_table('community_medication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_medication_patient_id'))
        batch_op.drop_index('ix_community_medication_episode')

    op.drop_table('community_medication')
