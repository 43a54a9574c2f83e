"""proto <-> domain, in one module. The only place wire Money becomes engine Money."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine import model as m
from engine import validate as v
from engine.errors import InvalidArgument
from engine.invoices import InvoiceDraft
from engine.money import Money, from_scaled
from engine.payments import PaymentDraft

E = TypeVar("E", bound=enum.Enum)


def refuse_nul(msg: Message, path: str = "", *, skip: frozenset[str] = frozenset()) -> None:
    """Refuses the first string anywhere in `msg` that holds NUL, naming its field path
    (`payments[3].payer_name`); fields named in `skip` are left to a per-item check."""
    # A string's bytes appear as they are in the wire form, so a message whose serialization
    # holds no zero byte has no NUL in any string, nested or repeated: one pass in C instead of
    # walking every field in Python (a 1,000-invoice batch: ~13 ms). A zero byte may also be a
    # number or an empty message; only then is each field walked to find and name the string.
    if b"\x00" not in msg.SerializeToString():
        return
    _refuse_nul_in_fields(msg, path, skip)


def _refuse_nul_in_fields(msg: Message, path: str, skip: frozenset[str]) -> None:
    for fd, value in msg.ListFields():
        if fd.name in skip:
            continue
        name = f"{path}.{fd.name}" if path else fd.name
        repeated = fd.is_repeated
        items = list(enumerate(value)) if repeated else [(None, value)]
        for i, item in items:
            field = name if i is None else f"{name}[{i}]"
            if fd.type == FieldDescriptor.TYPE_STRING:
                v.no_nul(item, field)
            elif fd.type == FieldDescriptor.TYPE_MESSAGE:
                _refuse_nul_in_fields(item, field, frozenset())


def update_paths(mask: FieldMask, msg: Message, updatable: Iterable[str]) -> list[str]:
    """The fields an Update replaces: the mask's paths, or for an empty mask the updatable
    fields `msg` populates (AIP-134), never every field (that would wipe the unset ones)."""
    if mask.paths:
        return list(mask.paths)
    allowed = set(updatable)
    return [fd.name for fd, _ in msg.ListFields() if fd.name in allowed]


def money_in(msg: pb.Money, field: str, *, positive: bool = True) -> Money:
    """Wire Money -> engine Money: known currency, exact scale, range; errors name `field`."""
    if not msg.currency_code:
        raise InvalidArgument("MISSING_CURRENCY", "currency_code is required", f"{field}.currency_code")
    scale = msg.scale if msg.HasField("scale") else None
    return from_scaled(msg.amount_minor, scale, msg.currency_code, field, positive=positive)


def optional_money_in(parent: object, name: str, currency: str, field: str) -> int:
    """An optional non-negative Money field of an allocation, in the payment's currency."""
    if not parent.HasField(name):  # type: ignore[attr-defined]
        return 0
    msg: pb.Money = getattr(parent, name)
    if msg.currency_code and msg.currency_code != currency:
        raise InvalidArgument("CURRENCY_MISMATCH", f"must be in {currency}", f"{field}.{name}.currency_code")
    if not msg.currency_code and msg.amount_minor == 0:
        return 0
    return money_in(msg, f"{field}.{name}", positive=False).amount_minor


def money_out(amount_minor: int, currency: str) -> pb.Money:
    return pb.Money(currency_code=currency, amount_minor=amount_minor)


def timestamp(us: int) -> Timestamp:
    ts = Timestamp()
    if us:
        ts.FromMicroseconds(us)
    return ts


def terms_in(msg: pb.PaymentTerms) -> m.PaymentTerms:
    return m.PaymentTerms(msg.net_days, msg.discount_days, msg.discount_basis_points)


def terms_out(t: m.PaymentTerms) -> pb.PaymentTerms:
    return pb.PaymentTerms(
        net_days=t.net_days, discount_days=t.discount_days, discount_basis_points=t.discount_basis_points
    )


# --- customers -----------------------------------------------------------------------------


def customer_in(customer_id: str, msg: pb.Customer) -> m.Customer:
    return m.Customer(
        customer_id=customer_id,
        display_name=msg.display_name,
        name_aliases=tuple(msg.name_aliases),
        payer_accounts=tuple(msg.payer_accounts),
        payment_terms=terms_in(msg.payment_terms) if msg.HasField("payment_terms") else m.PaymentTerms(),
        tolerance_minor=msg.tolerance_minor if msg.HasField("tolerance_minor") else None,
        matching_tolerance_minor=(
            msg.matching_tolerance_minor if msg.HasField("matching_tolerance_minor") else None
        ),
    )


def customer_out(c: m.Customer) -> pb.Customer:
    msg = pb.Customer(
        customer_id=c.customer_id,
        display_name=c.display_name,
        name_aliases=list(c.name_aliases),
        payer_accounts=list(c.payer_accounts),
        payment_terms=terms_out(c.payment_terms),
        create_time=timestamp(c.create_us),
        update_time=timestamp(c.update_us),
    )
    if c.tolerance_minor is not None:
        msg.tolerance_minor = c.tolerance_minor
    if c.matching_tolerance_minor is not None:
        msg.matching_tolerance_minor = c.matching_tolerance_minor
    return msg


# --- settings ------------------------------------------------------------------------------


def settings_in(msg: pb.Settings) -> m.TenantSettings:
    return m.TenantSettings(msg.write_off_tolerance_minor, msg.matching_tolerance_minor)


def settings_out(s: m.TenantSettings) -> pb.Settings:
    return pb.Settings(
        write_off_tolerance_minor=s.write_off_tolerance_minor,
        matching_tolerance_minor=s.matching_tolerance_minor,
        update_time=timestamp(s.update_us),
    )


# --- invoices ------------------------------------------------------------------------------

_INVOICE_STATE = {s: pb.InvoiceState.Value(f"INVOICE_STATE_{s.value}") for s in m.InvoiceState}


def enum_in(mapping: Mapping[E, int], value: int, field: str) -> E | None:
    """A wire enum number -> the domain enum; UNSPECIFIED (0) is None, an unknown number refused."""
    for member, number in mapping.items():
        if number == value:
            return member
    if value:
        raise InvalidArgument("INVALID_ENUM", f"unknown {field} value {value}", field)
    return None


def invoice_state_in(value: int) -> m.InvoiceState | None:
    return enum_in(_INVOICE_STATE, value, "state")


def invoice_in(invoice_id: str, msg: pb.Invoice, field: str = "invoice") -> InvoiceDraft:
    if not msg.HasField("amount"):
        raise InvalidArgument("MISSING_AMOUNT", "amount is required", f"{field}.amount")
    return InvoiceDraft(
        invoice_id=invoice_id,
        customer_id=msg.customer_id,
        amount=money_in(msg.amount, f"{field}.amount"),
        issue_date=msg.issue_date,
        due_date=msg.due_date,
        payment_terms=terms_in(msg.payment_terms) if msg.HasField("payment_terms") else None,
        field=field,
    )


def invoice_out(i: m.Invoice) -> pb.Invoice:
    return pb.Invoice(
        invoice_id=i.invoice_id,
        customer_id=i.customer_id,
        amount=money_out(i.amount_minor, i.currency),
        open_amount=money_out(i.open_minor, i.currency),
        issue_date=i.issue_date.isoformat(),
        due_date=i.due_date.isoformat(),
        payment_terms=terms_out(i.payment_terms),
        state=_INVOICE_STATE[i.state],
        create_time=timestamp(i.create_us),
    )


# --- payments ------------------------------------------------------------------------------

_PAYMENT_STATE = {s: pb.PaymentState.Value(f"PAYMENT_STATE_{s.value}") for s in m.PaymentState}
_SOURCE = {s: pb.ApplicationSource.Value(f"APPLICATION_SOURCE_{s.value}") for s in m.ApplicationSource}


def payment_state_in(value: int) -> m.PaymentState | None:
    return enum_in(_PAYMENT_STATE, value, "state")


def payment_in(payment_id: str, msg: pb.Payment, field: str = "payment") -> PaymentDraft:
    refuse_nul(msg, field)  # an imported payment's text is checked here, item by item
    if not msg.HasField("amount"):
        raise InvalidArgument("MISSING_AMOUNT", "amount is required", f"{field}.amount")
    return PaymentDraft(
        payment_id=payment_id,
        amount=money_in(msg.amount, f"{field}.amount"),
        value_date=msg.value_date,
        customer_id=msg.customer_id,
        payer_account=msg.payer_account,
        payer_name=msg.payer_name,
        remittance_info=msg.remittance_info,
        references=tuple(msg.references),
        field=field,
        remittance_lines=remittance_lines_in(
            msg.remittance_lines, msg.amount.currency_code, f"{field}.remittance_lines"
        ),
        bank_reference=msg.bank_reference,
        end_to_end_id=msg.end_to_end_id,
    )


_LINE_KIND = {
    "INVOICE": pb.REMITTANCE_LINE_KIND_INVOICE,
    "CREDIT_NOTE": pb.REMITTANCE_LINE_KIND_CREDIT_NOTE,
    "CREDITOR_REFERENCE": pb.REMITTANCE_LINE_KIND_CREDITOR_REFERENCE,
}
_LINE_KIND_IN = {value: name for name, value in _LINE_KIND.items()} | {
    pb.REMITTANCE_LINE_KIND_UNSPECIFIED: "INVOICE"
}


def _line_money(parent: Message, name: str, currency: str, field: str, *, signed: bool = False) -> int | None:
    """An optional Money of a remittance line in the payment's currency; None when unset."""
    if not parent.HasField(name):
        return None
    msg: pb.Money = getattr(parent, name)
    if msg.currency_code and msg.currency_code != currency:
        raise InvalidArgument("CURRENCY_MISMATCH", f"must be in {currency}", f"{field}.{name}.currency_code")
    scale = msg.scale if msg.HasField("scale") else None
    amount = msg.amount_minor
    money = from_scaled(abs(amount), scale, currency, f"{field}.{name}", positive=False)
    if amount < 0 and not signed:
        raise InvalidArgument(
            "AMOUNT_MUST_NOT_BE_NEGATIVE", "amount must not be negative", f"{field}.{name}.amount_minor"
        )
    return -money.amount_minor if amount < 0 else money.amount_minor


def remittance_lines_in(
    msgs: Iterable[pb.RemittanceLine], currency: str, field: str
) -> tuple[m.RemittanceLine, ...]:
    """Wire remittance lines -> domain lines; their amounts are in the payment's currency."""
    lines = list(msgs)
    if not lines:
        return ()
    if len(lines) > v.MAX_REMITTANCE_LINES:
        raise InvalidArgument(
            "TOO_MANY_ITEMS", f"{field} holds at most {v.MAX_REMITTANCE_LINES} lines", field
        )
    out: list[m.RemittanceLine] = []
    for i, line in enumerate(lines):
        at = f"{field}[{i}]"
        if line.kind not in _LINE_KIND_IN:
            raise InvalidArgument("INVALID_ENUM", f"{at}.kind is not a known value", f"{at}.kind")
        adjustments = []
        for j, adjustment in enumerate(line.adjustments):
            where = f"{at}.adjustments[{j}]"
            if not adjustment.HasField("amount"):
                raise InvalidArgument("MISSING_AMOUNT", f"{where}.amount is required", f"{where}.amount")
            amount = _line_money(adjustment, "amount", currency, where, signed=True) or 0
            adjustments.append(m.Adjustment(amount, adjustment.reason_code, adjustment.text))
        out.append(
            m.RemittanceLine(
                reference=line.reference,
                paid_minor=_line_money(line, "paid", currency, at),
                invoiced_minor=_line_money(line, "invoiced", currency, at),
                discount_minor=_line_money(line, "discount", currency, at) or 0,
                adjustments=tuple(adjustments),
                kind=_LINE_KIND_IN[line.kind],
            )
        )
    return v.remittance_lines(tuple(out), field)


def remittance_line_out(line: m.RemittanceLine, currency: str) -> pb.RemittanceLine:
    out = pb.RemittanceLine(
        reference=line.reference,
        discount=money_out(line.discount_minor, currency),
        adjustments=[
            pb.RemittanceAdjustment(
                amount=money_out(a.amount_minor, currency), reason_code=a.reason_code, text=a.text
            )
            for a in line.adjustments
        ],
        kind=_LINE_KIND.get(line.kind, pb.REMITTANCE_LINE_KIND_UNSPECIFIED),
    )
    if line.paid_minor is not None:
        out.paid.CopyFrom(money_out(line.paid_minor, currency))
    if line.invoiced_minor is not None:
        out.invoiced.CopyFrom(money_out(line.invoiced_minor, currency))
    return out


def application_out(a: m.Application) -> pb.Application:
    return pb.Application(
        application_id=a.application_id,
        payment_id=a.payment_id,
        invoice_id=a.invoice_id,
        amount=money_out(a.amount_minor, a.currency),
        discount=money_out(a.discount_minor, a.currency),
        write_off=money_out(a.write_off_minor, a.currency),
        deduction=money_out(a.deduction_minor, a.currency),
        source=_SOURCE[a.source],
        reversed_by_application_id=a.reversed_by_application_id or "",
        reverses_application_id=a.reverses_application_id or "",
        create_time=timestamp(a.create_us),
        actor=a.actor,
    )


def payment_out(p: m.Payment) -> pb.Payment:
    return pb.Payment(
        payment_id=p.payment_id,
        amount=money_out(p.amount_minor, p.currency),
        value_date=p.value_date.isoformat(),
        customer_id=p.customer_id or "",
        payer_account=p.payer_account,
        payer_name=p.payer_name,
        remittance_info=p.remittance_info,
        references=list(p.references),
        applied_amount=money_out(p.applied_minor, p.currency),
        unapplied_amount=money_out(p.unapplied_minor, p.currency),
        returned_amount=money_out(p.returned_minor, p.currency),
        state=_PAYMENT_STATE[p.state],
        applications=[application_out(a) for a in p.applications],
        create_time=timestamp(p.create_us),
        remittance_lines=[remittance_line_out(line, p.currency) for line in p.remittance_lines],
        bank_reference=p.bank_reference,
        end_to_end_id=p.end_to_end_id,
    )


def allocations_in(msgs: Iterable[pb.Allocation], currency: str, field: str) -> list[m.Allocation]:
    """Allocations in the payment's currency; a different currency is INVALID_ARGUMENT."""
    result = []
    for i, a in enumerate(msgs):
        f = f"{field}[{i}]"
        if not a.HasField("amount"):
            raise InvalidArgument("MISSING_AMOUNT", "amount is required", f"{f}.amount")
        cash = money_in(a.amount, f"{f}.amount", positive=False)
        if cash.currency != currency:
            raise InvalidArgument(
                "PAYMENT_CURRENCY_MUST_MATCH_ALLOCATION",
                f"the payment is in {currency}",
                f"{f}.amount.currency_code",
            )
        result.append(
            m.Allocation(
                a.invoice_id,
                cash.amount_minor,
                optional_money_in(a, "discount", currency, f),
                optional_money_in(a, "write_off", currency, f),
                optional_money_in(a, "deduction", currency, f),
                v.text(a.deduction_reason, f"{f}.deduction_reason", 64),
            )
        )
    return result


# --- returns, decisions, exceptions, report ------------------------------------------------

_RETURN_KIND = {m.ReturnKind.GOODS: pb.RETURN_KIND_GOODS, m.ReturnKind.PAYMENT: pb.RETURN_KIND_PAYMENT}
_OUTCOME = {s: pb.DecisionOutcome.Value(f"DECISION_OUTCOME_{s.value}") for s in m.DecisionOutcome}
_EXC_STATE = {s: pb.MatchExceptionState.Value(f"MATCH_EXCEPTION_STATE_{s.value}") for s in m.ExceptionState}


def outcome_in(value: int) -> m.DecisionOutcome:
    outcome = enum_in(_OUTCOME, value, "outcome")
    assert outcome is not None, "every stored decision has an outcome"
    return outcome


def return_kind_in(value: int) -> m.ReturnKind | None:
    return enum_in(_RETURN_KIND, value, "kind")


def exception_state_in(value: int) -> m.ExceptionState:
    """Open exceptions unless another state is asked for."""
    return enum_in(_EXC_STATE, value, "state") or m.ExceptionState.OPEN


def return_out(r: m.Return) -> pb.Return:
    return pb.Return(
        return_id=r.return_id,
        kind=_RETURN_KIND[r.kind],
        invoice_id=r.invoice_id or "",
        payment_id=r.payment_id or "",
        amount=money_out(r.amount_minor, r.currency),
        credited_to_invoice=money_out(r.credited_minor, r.currency),
        on_account_credit=money_out(r.on_account_minor, r.currency),
        reopened_invoice_ids=list(r.reopened_invoice_ids),
        reason_code=r.reason_code,
        create_time=timestamp(r.create_us),
        actor=r.actor,
    )


def _allocation_out(a: m.Allocation, currency: str) -> pb.Allocation:
    return pb.Allocation(
        invoice_id=a.invoice_id,
        amount=money_out(a.amount_minor, currency),
        discount=money_out(a.discount_minor, currency),
        write_off=money_out(a.write_off_minor, currency),
        deduction=money_out(a.deduction_minor, currency),
        deduction_reason=a.deduction_reason,
    )


def candidate_out(c: m.MatchCandidate, currency: str) -> pb.MatchCandidate:
    return pb.MatchCandidate(
        invoice_ids=list(c.invoice_ids),
        allocations=[_allocation_out(a, currency) for a in c.allocations],
        residual_minor=c.residual_minor,
        score=c.score,
        rule=c.rule,
    )


def decision_out(d: m.Decision, currency: str) -> pb.Decision:
    e = d.explanation
    explanation = pb.Explanation(
        summary=e.summary,
        customer_identified_by=e.customer_identified_by,
        candidates=[candidate_out(c, currency) for c in e.candidates],
        winning_rule=e.winning_rule,
        solver_algorithm=e.solver_algorithm,
        solver_candidate_count=e.solver_candidate_count,
        solver_outcome=e.solver_outcome,
    )
    if e.runner_up is not None:
        explanation.runner_up.CopyFrom(candidate_out(e.runner_up, currency))
    return pb.Decision(
        decision_id=d.decision_id,
        payment_id=d.payment_id,
        customer_id=d.customer_id or "",
        outcome=_OUTCOME[d.outcome],
        reason=d.reason,
        explanation=explanation,
        create_time=timestamp(d.create_us),
        actor=d.actor,
        trace_id=d.trace_id,
    )


def exception_out(x: m.MatchException, currency: str) -> pb.MatchException:
    msg = pb.MatchException(
        exception_id=x.exception_id,
        payment_id=x.payment_id,
        customer_id=x.customer_id or "",
        state=_EXC_STATE[x.state],
        reason=x.reason,
        suggestions=[candidate_out(c, currency) for c in x.suggestions],
        decision_id=x.decision_id,
        create_time=timestamp(x.create_us),
        assignee=x.assignee,
    )
    if x.resolve_us:
        msg.resolve_time.CopyFrom(timestamp(x.resolve_us))
    return msg


def report_out(r: m.ReconciliationReport) -> pb.ReconciliationReport:
    return pb.ReconciliationReport(
        balances=[
            pb.AccountBalance(
                account=b.account,
                currency_code=b.currency,
                debit_minor=b.debit_minor,
                credit_minor=b.credit_minor,
                balance_minor=b.balance_minor,
            )
            for b in r.balances
        ],
        invariants=[
            pb.InvariantCheck(
                name=c.name, description=c.description, passed=c.passed, violations=list(c.violations)
            )
            for c in r.invariants
        ],
        all_passed=r.all_passed,
        create_time=timestamp(r.create_us),
        journal_chain_head=r.journal_chain_head,
        journal_entry_count=r.journal_entry_count,
    )
