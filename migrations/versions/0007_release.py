"""release planning: community providers, plans, referrals, consents, follow-up

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_provider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('hours', sa.String(length=200), nullable=True),
    sa.Column('women_only', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_provider')),
    sa.UniqueConstraint('code', name=op.f('uq_community_provider_code'))
    )
    op.create_table('release_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('definition_version', sa.Integer(), nullable=False),
    sa.Column('release_on', sa.Date(), nullable=True),
    sa.Column('circumstances', sa.JSON(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('social_needs', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalized_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episode.id'], name=op.f('fk_release_plan_episode_id_custody_episode')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_release_plan_facility_id_facility')),
    sa.ForeignKeyConstraint(['finalized_by_id'], ['staff_user.id'], name=op.f('fk_release_plan_finalized_by_id_staff_user')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['staff_user.id'], name=op.f('fk_release_plan_opened_by_id_staff_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_release_plan_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_plan')),
    sa.UniqueConstraint('episode_id', name=op.f('uq_release_plan_episode_id'))
    )
    op.create_index('ix_release_plan_facility_release', 'release_plan', ['facility_id', 'release_on'], unique=False)
    op.create_index(op.f('ix_release_plan_patient_id'), 'release_plan', ['patient_id'], unique=False)
    op.create_table('release_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=12), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['release_plan.id'], name=op.f('fk_release_consent_plan_id_release_plan')),
    sa.ForeignKeyConstraint(['provider_id'], ['community_provider.id'], name=op.f('fk_release_consent_provider_id_community_provider')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_release_consent_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_consent')),
    sa.UniqueConstraint('plan_id', 'provider_id', 'category', name=op.f('uq_release_consent_plan_id_provider_id_category'))
    )
    op.create_table('release_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['release_plan.id'], name=op.f('fk_release_follow_up_plan_id_release_plan')),
    sa.ForeignKeyConstraint(['provider_id'], ['community_provider.id'], name=op.f('fk_release_follow_up_provider_id_community_provider')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_release_follow_up_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_follow_up'))
    )
    op.create_index('ix_release_follow_up_plan', 'release_follow_up', ['plan_id', 'provider_id'], unique=False)
    op.create_table('release_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.String(length=16), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supply_days', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['release_plan.id'], name=op.f('fk_release_referral_plan_id_release_plan')),
    sa.ForeignKeyConstraint(['provider_id'], ['community_provider.id'], name=op.f('fk_release_referral_provider_id_community_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_referral')),
    sa.UniqueConstraint('plan_id', 'need', name=op.f('uq_release_referral_plan_id_need'))
    )
    op.create_index('ix_release_referral_appointment', 'release_referral', ['appointment_at'], unique=False)


def downgrade():
    op.drop_index('ix_release_referral_appointment', table_name='release_referral')
    op.drop_table('release_referral')
    op.drop_index('ix_release_follow_up_plan', table_name='release_follow_up')
    op.drop_table('release_follow_up')
    op.drop_table('release_consent')
    op.drop_index(op.f('ix_release_plan_patient_id'), table_name='release_plan')
    op.drop_index('ix_release_plan_facility_release', table_name='release_plan')
    op.drop_table('release_plan')
    op.drop_table('community_provider')
