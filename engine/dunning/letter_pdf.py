"""A notice as a printable letter (reportlab): the address block, then the notice's lines."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from engine.dunning.render import Rendered


def letter_pdf(rendered: Rendered, postal_address: str) -> bytes:
    styles = getSampleStyleSheet()
    story: list[Flowable] = [
        Paragraph(escape(line), styles["Normal"]) for line in postal_address.splitlines()
    ]
    story += [Spacer(1, 24), Paragraph(escape(rendered.subject), styles["Heading2"])]
    story += [Paragraph(escape(line) or "&nbsp;", styles["Normal"]) for line in rendered.lines]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=rendered.subject).build(story)
    return out.getvalue()
