"""The customer statement as a PDF (reportlab): a header, then per currency the opening
balance, the movements with their running balance, the closing balance and the open items.

Amounts are printed from minor units with the currency's exponent, exactly (no float), so
what a reader copies out of the PDF is what the ledger holds.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from engine.money import currency_exponent
from engine.reports.statement import CurrencyStatement, Statement

_GRID = TableStyle(
    [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("ALIGN", (-2, 1), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ]
)


def amount_text(amount_minor: int, currency: str) -> str:
    """Minor units written as a decimal amount, e.g. 123456 EUR -> "1234.56"."""
    exponent = currency_exponent(currency)
    sign, digits = ("-" if amount_minor < 0 else ""), str(abs(amount_minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def statement_pdf(statement: Statement) -> bytes:
    styles = getSampleStyleSheet()
    story: list[Flowable] = [
        Paragraph(f"Statement of account: {_escape(statement.display_name)}", styles["Title"]),
        Paragraph(
            f"Customer {_escape(statement.customer_id)}, {statement.start.isoformat()} to "
            f"{statement.end.isoformat()}",
            styles["Normal"],
        ),
    ]
    for section in statement.currencies:
        story.extend(_section(section, styles))
    if not statement.currencies:
        story.append(Paragraph("No movements and nothing owed.", styles["Normal"]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="Statement of account").build(story)
    return buffer.getvalue()


def _section(section: CurrencyStatement, styles: object) -> list[Flowable]:
    c = section.currency
    heading, normal = styles["Heading2"], styles["Normal"]  # type: ignore[index]
    rows = [["Date", "Kind", "Reference", "Description", f"Amount {c}", f"Balance {c}"]]
    rows += [
        [ln.date.isoformat(), ln.kind, ln.reference, ln.description[:60], amount_text(ln.amount_minor, c),
         amount_text(ln.balance_minor, c)]
        for ln in section.lines
    ]  # fmt: skip
    items = [["Invoice", "Issued", "Due", "Days past due", f"Amount {c}", f"Open {c}"]]
    items += [
        [i.invoice_id, i.issue_date.isoformat(), i.due_date.isoformat(), str(i.days_past_due),
         amount_text(i.amount_minor, c), amount_text(i.open_minor, c)]
        for i in section.open_items
    ]  # fmt: skip
    return [
        Spacer(1, 12),
        Paragraph(f"Currency {c}", heading),
        Paragraph(f"Opening balance: {amount_text(section.opening_balance_minor, c)} {c}", normal),
        Table(rows, repeatRows=1, style=_GRID),
        Paragraph(f"Closing balance: {amount_text(section.closing_balance_minor, c)} {c}", normal),
        Paragraph(
            f"Unapplied cash and credits: {amount_text(section.unapplied_credit_minor, c)} {c}", normal
        ),
        Spacer(1, 6),
        Paragraph("Open items", heading),
        Table(items, repeatRows=1, style=_GRID),
    ]


def _escape(text: str) -> str:
    """Paragraph text is markup: a customer name with '<' or '&' must print as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
