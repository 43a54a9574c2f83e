"""The words of a notice: a subject and a plain-text body every channel sends (the letter sets
the same lines in a PDF). Amounts come from minor units exactly."""

from __future__ import annotations

from dataclasses import dataclass

from engine.dunning.model import Notice
from engine.reports.statement_pdf import amount_text

# An SMS carries the first line only: providers split longer texts into paid segments.
MAX_SMS_CHARS = 160


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    lines: tuple[str, ...]

    @property
    def body(self) -> str:
        return "\n".join(self.lines) + "\n"

    @property
    def short(self) -> str:
        return self.lines[0][:MAX_SMS_CHARS]


def render(notice: Notice, display_name: str) -> Rendered:
    c = notice.currency
    due = "overdue" if any(i.days_past_due > 0 for i in notice.items) else "falling due"
    subject = f"Payment reminder (level {notice.level}): {amount_text(notice.total_minor, c)} {c} {due}"
    lines = [
        f"{display_name}: {amount_text(notice.total_minor, c)} {c} {due} as of {notice.as_of.isoformat()}"
        f" (reminder level {notice.level}, reference {notice.notice_id}).",
        "",
        "Invoice | due date | open | days past due",
    ]
    lines += [
        f"{i.invoice_id} | {i.due_date.isoformat()} | {amount_text(i.open_minor, c)} {c} | {i.days_past_due}"
        for i in notice.items
    ]
    if notice.fee_minor or notice.interest_minor:
        lines += [
            "",
            f"Reminder fee {amount_text(notice.fee_minor, c)} {c}; interest to date "
            f"{amount_text(notice.interest_minor, c)} {c} (for information).",
        ]
    lines += ["", "If you have paid already, please ignore this reminder."]
    return Rendered(subject, tuple(lines))
