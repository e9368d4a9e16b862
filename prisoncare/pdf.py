"""HTML to PDF with WeasyPrint (tests read the text back with pypdf: tests/pdf_text.py)."""
from weasyprint import HTML


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    return HTML(string=html, base_url=base_url).write_pdf()
