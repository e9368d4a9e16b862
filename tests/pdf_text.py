"""The text of a generated PDF, read back with pypdf (as a reader of the document would)."""
from io import BytesIO

from pypdf import PdfReader


def extract_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)
