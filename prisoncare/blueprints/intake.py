"""Intake and checklist pages (issue 3)."""
from flask import Blueprint

bp = Blueprint("intake", __name__)
