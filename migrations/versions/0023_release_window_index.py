"""release window index: patients by expected release date (issue 5, speed)

The open-release-plans job reads, every run, who is in custody with a release
expected within the window and no plan. Without an index PostgreSQL read every
custody episode of the country to find them (0.1-0.2 s a run at 100,000 people);
by `patient.expected_release_on` it reads only the few due.

Revision ID: 0023
Revises: 0022
"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_patient_expected_release", "patient", ["expected_release_on"],
                    unique=False)


def downgrade():
    op.drop_index("ix_patient_expected_release", table_name="patient")
