"""Alert and interruption pages (issue 5)."""
from flask import Blueprint

bp = Blueprint("alerts", __name__)
