"""set-based sweep: indexes (issue 5)

The sweep reads windows of the dose table, never its whole history: doses by
status and due instant (marking absent and missed), by due instant (what each
order already has when generating), and by when their status changed, with the
custody events by when they were entered (what an interruption run must
recompute). `sweep_watermark` keeps, per job, the instant up to which it has
taken the changes into account.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_scheduled_dose_status_due", "scheduled_dose", ["status", "due_at"])
    op.create_index("ix_scheduled_dose_due_order", "scheduled_dose", ["due_at", "order_id"])
    op.create_index("ix_scheduled_dose_status_at", "scheduled_dose", ["status_at"])
    op.create_index("ix_custody_event_recorded", "custody_event", ["recorded_at"])
    op.create_table(
        "sweep_watermark",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_sweep_watermark")),
    )
    # Statistics for the new indexes, or SQLite's planner walks the wrong one until
    # someone runs ANALYZE (PostgreSQL's autovacuum would get there, later).
    op.execute("ANALYZE scheduled_dose")
    op.execute("ANALYZE custody_event")


def downgrade():
    op.drop_table("sweep_watermark")
    op.drop_index("ix_custody_event_recorded", table_name="custody_event")
    op.drop_index("ix_scheduled_dose_status_at", table_name="scheduled_dose")
    op.drop_index("ix_scheduled_dose_due_order", table_name="scheduled_dose")
    op.drop_index("ix_scheduled_dose_status_due", table_name="scheduled_dose")
