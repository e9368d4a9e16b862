"""Release planning pages (issue 7)."""
from flask import Blueprint

bp = Blueprint("release", __name__)
