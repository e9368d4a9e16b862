"""sexual and reproductive health records (issue 6)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('srh_breastfeeding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('since_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_breastfeeding_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_breastfeeding_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_breastfeeding'))
    )

    with op.batch_alter_table('srh_breastfeeding', schema=None) as batch_op:
        batch_op.create_index('ix_srh_breastfeeding_patient', ['patient_id', 'since_on'], unique=False)

    op.create_table('srh_enablement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_enablement_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_enablement_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_enablement')),
    sa.UniqueConstraint('patient_id', name=op.f('uq_srh_enablement_patient_id'))
    )

    op.create_table('srh_hospital_escort',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('escorted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hospital', sa.String(length=200), nullable=True),
    sa.Column('restraint_used', sa.Boolean(), nullable=False),
    sa.Column('restraint_note', sa.Text(), nullable=True),
    sa.Column('rule24_applied', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_hospital_escort_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_hospital_escort_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_hospital_escort'))
    )

    with op.batch_alter_table('srh_hospital_escort', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srh_hospital_escort_patient_id'), ['patient_id'], unique=False)

    op.create_table('srh_pregnancy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('dating_method', sa.String(length=8), nullable=False),
    sa.Column('lmp_on', sa.Date(), nullable=True),
    sa.Column('scan_on', sa.Date(), nullable=True),
    sa.Column('scan_gestation_days', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('drug_dependent', sa.Boolean(), nullable=False),
    sa.Column('plan_hospital', sa.String(length=200), nullable=True),
    sa.Column('plan_escort', sa.Text(), nullable=True),
    sa.Column('plan_who_is_told', sa.JSON(), nullable=True),
    sa.Column('plan_feeding_intention', sa.String(length=20), nullable=True),
    sa.Column('plan_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_pregnancy_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_pregnancy_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_pregnancy'))
    )

    with op.batch_alter_table('srh_pregnancy', schema=None) as batch_op:
        batch_op.create_index('ix_srh_pregnancy_patient_status', ['patient_id', 'status'], unique=False)

    op.create_table('srh_pregnancy_test',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_pregnancy_test_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_pregnancy_test_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_pregnancy_test'))
    )

    with op.batch_alter_table('srh_pregnancy_test', schema=None) as batch_op:
        batch_op.create_index('ix_srh_pregnancy_test_patient', ['patient_id', 'occurred_at'], unique=False)

    op.create_table('srh_preventive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_preventive_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_preventive_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_preventive'))
    )

    with op.batch_alter_table('srh_preventive', schema=None) as batch_op:
        batch_op.create_index('ix_srh_preventive_patient_kind', ['patient_id', 'kind', 'done_on'], unique=False)

    op.create_table('srh_violence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('disclosure', sa.Text(), nullable=False),
    sa.Column('informed_of_recourse', sa.Boolean(), nullable=False),
    sa.Column('support_accepted', sa.JSON(), nullable=False),
    sa.Column('referral', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_srh_violence_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_violence_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_violence'))
    )

    with op.batch_alter_table('srh_violence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srh_violence_patient_id'), ['patient_id'], unique=False)

    op.create_table('srh_child',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mother_id', sa.Integer(), nullable=False),
    sa.Column('pregnancy_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.Column('born_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hiv_exposed', sa.Boolean(), nullable=False),
    sa.Column('feeding', sa.String(length=20), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['mother_id'], ['patient.id'], name=op.f('fk_srh_child_mother_id_patient')),
    sa.ForeignKeyConstraint(['pregnancy_id'], ['srh_pregnancy.id'], name=op.f('fk_srh_child_pregnancy_id_srh_pregnancy')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_child_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_child'))
    )

    with op.batch_alter_table('srh_child', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srh_child_mother_id'), ['mother_id'], unique=False)

    op.create_table('srh_maternity_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pregnancy_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('contact_on', sa.Date(), nullable=False),
    sa.Column('by_whom', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pregnancy_id'], ['srh_pregnancy.id'], name=op.f('fk_srh_maternity_contact_pregnancy_id_srh_pregnancy')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_maternity_contact_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_maternity_contact'))
    )

    with op.batch_alter_table('srh_maternity_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srh_maternity_contact_pregnancy_id'), ['pregnancy_id'], unique=False)

    op.create_table('srh_child_care',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['srh_child.id'], name=op.f('fk_srh_child_care_child_id_srh_child')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_srh_child_care_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srh_child_care'))
    )

    with op.batch_alter_table('srh_child_care', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srh_child_care_child_id'), ['child_id'], unique=False)


def downgrade():
    with op.batch_alter_table('srh_child_care', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srh_child_care_child_id'))

    op.drop_table('srh_child_care')

    with op.batch_alter_table('srh_maternity_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srh_maternity_contact_pregnancy_id'))

    op.drop_table('srh_maternity_contact')

    with op.batch_alter_table('srh_child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srh_child_mother_id'))

    op.drop_table('srh_child')

    with op.batch_alter_table('srh_violence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srh_violence_patient_id'))

    op.drop_table('srh_violence')

    with op.batch_alter_table('srh_preventive', schema=None) as batch_op:
        batch_op.drop_index('ix_srh_preventive_patient_kind')

    op.drop_table('srh_preventive')

    with op.batch_alter_table('srh_pregnancy_test', schema=None) as batch_op:
        batch_op.drop_index('ix_srh_pregnancy_test_patient')

    op.drop_table('srh_pregnancy_test')

    with op.batch_alter_table('srh_pregnancy', schema=None) as batch_op:
        batch_op.drop_index('ix_srh_pregnancy_patient_status')

    op.drop_table('srh_pregnancy')

    with op.batch_alter_table('srh_hospital_escort', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srh_hospital_escort_patient_id'))

    op.drop_table('srh_hospital_escort')

    op.drop_table('srh_enablement')

    with op.batch_alter_table('srh_breastfeeding', schema=None) as batch_op:
        batch_op.drop_index('ix_srh_breastfeeding_patient')

    op.drop_table('srh_breastfeeding')
