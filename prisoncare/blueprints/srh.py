"""Sexual and reproductive health pages (issue 6)."""
from flask import Blueprint

bp = Blueprint("srh", __name__)
