"""Deduction cases at application time: every application with a deduction opens a case in the
same transaction (whatever its source: automatic, manual, exception resolution); reversing the
application cancels its case, which is only possible while none of its money has moved on."""

from __future__ import annotations

from collections.abc import Sequence

from engine import model as m
from engine.cases.case import Case, Event, Kind, State
from engine.cases.categories import category_of
from engine.errors import FailedPrecondition
from engine.storage.store import Store

# Who opens a deduction case: the application's source (no person is behind AUTO).
ACTORS = {
    m.ApplicationSource.AUTO: "system:auto-apply",
    m.ApplicationSource.MANUAL: "system:apply-payment",
    m.ApplicationSource.EXCEPTION_RESOLUTION: "system:exception-resolution",
}


def case_id_of(application_id: str) -> str:
    return f"D-{application_id}"


def open_cases(store: Store, applications: Sequence[m.Application], now: int) -> None:
    """Opens one OPEN deduction case per application that moved money to DEDUCTIONS."""
    deducting = [a for a in applications if a.deduction_minor > 0]
    if not deducting:
        return
    invoices = store.get_invoices({a.invoice_id for a in deducting})
    cases = []
    for a in deducting:
        note = f"payment {a.payment_id} paid {a.deduction_minor} short on invoice {a.invoice_id}"
        if a.deduction_reason:
            note += f" (reason {a.deduction_reason})"
        opened = Event(
            1,
            "OPENED",
            "",
            State.OPEN.value,
            ACTORS[a.source],
            note,
            amount_minor=a.deduction_minor,
            create_us=now,
        )
        cases.append(
            Case(
                case_id_of(a.application_id),
                Kind.DEDUCTION,
                State.OPEN,
                category_of(a.deduction_reason).value,
                a.deduction_reason[:64],
                invoices[a.invoice_id].customer_id,
                a.invoice_id,
                a.currency,
                a.deduction_minor,
                a.deduction_minor,
                a.payment_id,
                a.application_id,
                create_us=now,
                update_us=now,
                events=(opened,),
            )
        )
    store.insert_cases(cases)


def cancel_for_reversal(store: Store, reversals: Sequence[m.Application], now: int) -> None:
    """The reversal moves the deduction back to AR, so its case ends CANCELLED; refused (before
    anything is written) when the case already credited, wrote off, collected or re-billed part
    of it, or waits for an approval: that money is no longer in DEDUCTIONS to move back."""
    originals = [r.reverses_application_id for r in reversals if r.deduction_minor > 0]
    cases = store.cases_of_applications([a for a in originals if a], lock=True)
    for case in cases:
        if case.open_minor != case.original_minor or case.pending is not None:
            raise FailedPrecondition(
                "DEDUCTION_CASE_RESOLVED",
                f"application {case.application_id} opened case {case.case_id}, which has moved "
                "money already; the application cannot be reversed",
                "application_ids",
            )
    for case in cases:
        after = _cancelled(case, now)
        event = Event(
            len(case.events) + 1,
            "TRANSITIONED",
            case.state.value,
            State.CANCELLED.value,
            "system:reversal",
            "the application was reversed",
            amount_minor=case.open_minor,
            create_us=now,
        )
        store.save_case(case, after, event)


def _cancelled(case: Case, now: int) -> Case:
    from dataclasses import replace

    return replace(
        case,
        state=State.CANCELLED,
        open_minor=0,
        cancelled_minor=case.cancelled_minor + case.open_minor,
        update_us=now,
    )
