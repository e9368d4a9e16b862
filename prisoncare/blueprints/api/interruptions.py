"""Interruption episodes API (issue 5)."""
from flask_smorest import Blueprint

blp = Blueprint("api_interruptions", __name__, description="Treatment interruptions (issue 5).")
