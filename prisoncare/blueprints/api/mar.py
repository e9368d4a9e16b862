"""Orders, the MAR and the pill-pass API (issue 4)."""
from flask_smorest import Blueprint

blp = Blueprint("api_mar", __name__, description="Orders, the MAR and the pill-pass pages (issue 4).")
