"""Intake and checklist API (issue 3)."""
from flask_smorest import Blueprint

blp = Blueprint("api_intake", __name__, description="Intake and checklist pages (issue 3).")
