"""Sexual and reproductive health API (issue 6)."""
from flask_smorest import Blueprint

blp = Blueprint("api_srh", __name__, description="Sexual and reproductive health (issue 6).")
