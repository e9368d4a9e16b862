"""Release planning API (issue 7)."""
from flask_smorest import Blueprint

blp = Blueprint("api_release", __name__, description="Release planning and linkage (issue 7).")
