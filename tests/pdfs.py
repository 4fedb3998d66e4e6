"""Real PDFs for tests, written with fpdf2 (one text block per page)."""

from __future__ import annotations

from pathlib import Path


def write_pdf(path: Path, pages: list[str], user_password: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    pdf.output(str(path))
    return path
