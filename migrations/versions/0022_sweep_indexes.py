"""sweep indexes: voided records, and planned movements by their expected instant
(issue 5, speed)

* `dose_administration.voided_at` (partial: voided records only, a few rows among
  millions): the routine sweep's rule for doses not taken in a window (ART-02)
  rereads a patient whose record was voided since its watermark (the voided record
  may have been a refusal, recorded again as given).
* `custody_event.expected_at`: the court dates and transfers still ahead (doses
  due during a planned absence), without reading a year of court traffic. Not
  (type, expected_at): SQLite would then take it for the type alone in queries
  that filter by type and another instant (the sweep's mark-absent).

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

VOIDED = sa.text("voided_at IS NOT NULL")


def upgrade():
    op.create_index("ix_dose_administration_voided", "dose_administration", ["voided_at"],
                    unique=False, sqlite_where=VOIDED, postgresql_where=VOIDED)
    op.create_index("ix_custody_event_expected", "custody_event", ["expected_at"], unique=False)


def downgrade():
    op.drop_index("ix_custody_event_expected", table_name="custody_event")
    op.drop_index("ix_dose_administration_voided", table_name="dose_administration",
                  sqlite_where=VOIDED, postgresql_where=VOIDED)
