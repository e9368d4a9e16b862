"""sweep runs: a routine sweep does not read again what the previous one wrote (issue 5)

Each run of a scheduler job has a number; the job stamps it on what it writes that
later jobs read by time (`scheduled_dose.status_run` with a status it marks,
`interruption_episode.updated_run`), and a job keeping a watermark records its
own (`sweep_watermark.run`). The next run then skips, within the watermark's
late-commit margin, the rows the sweep itself wrote and had already seen (see
prisoncare/services/sweep_watermark.py). Nullable columns, no default: adding
them rewrites no row (the scheduled doses are millions).

Revision ID: 0021
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0018'
branch_labels = None
depends_on = None

COLUMNS = (("sweep_watermark", "run"), ("scheduled_dose", "status_run"),
           ("interruption_episode", "updated_run"))


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
