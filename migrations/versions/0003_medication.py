"""medication: orders, scheduled doses, administrations, clinical reviews (issue 4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:39:25.860834

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('medication_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=8), nullable=False),
    sa.Column('drug', sa.String(length=200), nullable=False),
    sa.Column('dose', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=False),
    sa.Column('times', sa.JSON(), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('administration', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('days_supply', sa.Integer(), nullable=True),
    sa.Column('prescriber_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('lineage_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('discontinued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discontinued_by_id', sa.Integer(), nullable=True),
    sa.Column('discontinue_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['discontinued_by_id'], ['staff_user.id'], name=op.f('fk_medication_order_discontinued_by_id_staff_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_medication_order_patient_id_patient')),
    sa.ForeignKeyConstraint(['prescriber_id'], ['staff_user.id'], name=op.f('fk_medication_order_prescriber_id_staff_user')),
    sa.ForeignKeyConstraint(['replaces_id'], ['medication_order.id'], name=op.f('fk_medication_order_replaces_id_medication_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication_order'))
    )
    with op.batch_alter_table('medication_order', schema=None) as batch_op:
        batch_op.create_index('ix_medication_order_lineage', ['lineage_id'], unique=False)
        batch_op.create_index('ix_medication_order_patient_status', ['patient_id', 'status'], unique=False)

    op.create_table('clinical_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('new_dose', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['medication_order.id'], name=op.f('fk_clinical_review_order_id_medication_order')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_clinical_review_patient_id_patient')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_user.id'], name=op.f('fk_clinical_review_reviewed_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinical_review'))
    )
    with op.batch_alter_table('clinical_review', schema=None) as batch_op:
        batch_op.create_index('ix_clinical_review_patient_programme', ['patient_id', 'programme', 'reviewed_at'], unique=False)

    op.create_table('scheduled_dose',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_scheduled_dose_facility_id_facility')),
    sa.ForeignKeyConstraint(['order_id'], ['medication_order.id'], name=op.f('fk_scheduled_dose_order_id_medication_order')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_scheduled_dose_patient_id_patient')),
    sa.ForeignKeyConstraint(['ward_id'], ['ward.id'], name=op.f('fk_scheduled_dose_ward_id_ward')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_dose')),
    sa.UniqueConstraint('order_id', 'due_at', name=op.f('uq_scheduled_dose_order_id_due_at'))
    )
    with op.batch_alter_table('scheduled_dose', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_dose_facility_day', ['facility_id', 'local_date', 'ward_id'], unique=False)
        batch_op.create_index('ix_scheduled_dose_patient_day', ['patient_id', 'local_date'], unique=False)

    op.create_table('dose_administration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dose_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('administered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('witnessed_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('dose_given', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dose_id'], ['scheduled_dose.id'], name=op.f('fk_dose_administration_dose_id_scheduled_dose')),
    sa.ForeignKeyConstraint(['order_id'], ['medication_order.id'], name=op.f('fk_dose_administration_order_id_medication_order')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_dose_administration_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_dose_administration_recorded_by_id_staff_user')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['staff_user.id'], name=op.f('fk_dose_administration_voided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['witnessed_by_id'], ['staff_user.id'], name=op.f('fk_dose_administration_witnessed_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_administration'))
    )
    with op.batch_alter_table('dose_administration', schema=None) as batch_op:
        batch_op.create_index('ix_dose_administration_patient_at', ['patient_id', 'administered_at'], unique=False)
        batch_op.create_index('uq_dose_administration_live', ['dose_id'], unique=True, sqlite_where=sa.text('voided_at IS NULL'), postgresql_where=sa.text('voided_at IS NULL'))



def downgrade():
    with op.batch_alter_table('dose_administration', schema=None) as batch_op:
        batch_op.drop_index('uq_dose_administration_live', sqlite_where=sa.text('voided_at IS NULL'), postgresql_where=sa.text('voided_at IS NULL'))
        batch_op.drop_index('ix_dose_administration_patient_at')

    op.drop_table('dose_administration')
    with op.batch_alter_table('scheduled_dose', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_dose_patient_day')
        batch_op.drop_index('ix_scheduled_dose_facility_day')

    op.drop_table('scheduled_dose')
    with op.batch_alter_table('clinical_review', schema=None) as batch_op:
        batch_op.drop_index('ix_clinical_review_patient_programme')

    op.drop_table('clinical_review')
    with op.batch_alter_table('medication_order', schema=None) as batch_op:
        batch_op.drop_index('ix_medication_order_patient_status')
        batch_op.drop_index('ix_medication_order_lineage')

    op.drop_table('medication_order')
