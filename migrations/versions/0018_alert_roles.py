"""alert roles: escalation to a second role, custody tasks of their own (issue 5)

`escalated_to` is the role an unacknowledged alert escalated to (the rule's
escalate_to). The custody task of an alert (its custody_message) gets its own
status, time, actor and note, so custody staff closing it never acknowledge or
resolve the clinical alert. A covering index serves the navigation's count of
open alerts per role and facility.

Revision ID: 0018
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("escalated_to", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("custody_status", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("custody_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("custody_updated_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("custody_note", sa.Text(), nullable=True))
        batch.create_foreign_key(op.f("fk_alert_custody_updated_by_id_staff_user"),
                                 "staff_user", ["custody_updated_by_id"], ["id"])
        batch.create_index("ix_alert_status_role",
                           ["status", "role", "facility_id", "severity", "escalated_to"])
    op.execute("ANALYZE alert")


def downgrade():
    with op.batch_alter_table("alert") as batch:
        batch.drop_index("ix_alert_status_role")
        batch.drop_constraint(op.f("fk_alert_custody_updated_by_id_staff_user"),
                              type_="foreignkey")
        for column in ("custody_note", "custody_updated_by_id", "custody_updated_at",
                       "custody_status", "escalated_to"):
            batch.drop_column(column)
