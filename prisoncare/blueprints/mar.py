"""Orders, the MAR and the pill-pass pages (issue 4)."""
from flask import Blueprint

bp = Blueprint("mar", __name__)
