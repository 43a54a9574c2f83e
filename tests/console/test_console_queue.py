"""The queue through the console's HTML fragments, against a real server on both databases."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from cashapp_client import MatchException, money
from tests.console.conftest import Seeded


def _open(seeded: Seeded, reason: str) -> MatchException:
    return next(e for e in seeded.api.list_exceptions() if e.reason == reason)


def _open_ids(seeded: Seeded) -> set[str]:
    return {e.exception_id for e in seeded.api.list_exceptions()}


def _ledger_holds(seeded: Seeded) -> None:
    report = seeded.api.get_reconciliation_report()
    assert report.all_passed, [c.name for c in report.invariants if not c.passed]


def test_queue_lists_every_open_exception_and_filters_by_reason(seeded: Seeded, console: TestClient) -> None:
    page = console.get("/queue")
    assert page.status_code == 200
    ids = set(re.findall(r'data-exception-id="([0-9a-f]{32})"', page.text))
    assert ids == _open_ids(seeded)
    narrowed = console.get("/queue/list", params={"reason": "AMBIGUOUS_AMOUNT_MATCH"})
    shown = set(re.findall(r'tr class="qrow" id="row-([0-9a-f]{32})"', narrowed.text))
    assert shown == {_open(seeded, "AMBIGUOUS_AMOUNT_MATCH").exception_id}


def test_queue_filters_by_customer_amount_and_search(seeded: Seeded, console: TestClient) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    payment = seeded.api.get_payment(ambiguous.payment_id)
    rows = lambda html: set(re.findall(r'tr class="qrow" id="row-([0-9a-f]{32})"', html))  # noqa: E731
    assert ambiguous.exception_id in rows(console.get("/queue/list", params={"customer": "initech"}).text)
    assert rows(console.get("/queue/list", params={"customer": "nobody-like-this"}).text) == set()
    above = console.get("/queue/list", params={"min_amount": "999999.00"}).text
    assert rows(above) == set()
    assert ambiguous.exception_id in rows(
        console.get("/queue/list", params={"q": payment.payment_id.lower()}).text
    )


def test_detail_shows_ranked_candidates_explanation_and_remaining(
    seeded: Seeded, console: TestClient
) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    html = console.get(f"/queue/{ambiguous.exception_id}").text
    assert html.count("data-rank=") == len(ambiguous.suggestions) >= 2
    decision = next(d for d in seeded.api.list_decisions(payment_id=ambiguous.payment_id))
    assert decision.explanation.summary and decision.explanation.summary in html.replace("&#39;", "'")
    payment = seeded.api.get_payment(ambiguous.payment_id)
    first_amount = ambiguous.suggestions[0].allocations[0].amount.amount_minor
    answer = console.post(f"/payments/{payment.payment_id}/remaining", data={"amount": ["100.00", ""]})
    expected = payment.unapplied_amount.amount_minor - 10000
    assert answer.status_code == 200
    assert f"{expected / 100:.2f}" in answer.text  # two-decimal EUR, exact for these values
    assert first_amount > 0


def test_accept_resolves_through_the_api_and_the_ledger_holds(seeded: Seeded, console: TestClient) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    invoice_ids = list(ambiguous.suggestions[0].invoice_ids)
    answer = console.post(f"/queue/{ambiguous.exception_id}/accept", data={"rank": "1"})
    assert answer.status_code == 200, answer.text
    assert "alice accepted suggestion #1" in answer.text
    assert ambiguous.exception_id not in _open_ids(seeded)
    applied = {a.invoice_id for a in seeded.api.get_payment(ambiguous.payment_id).applications}
    assert applied == set(invoice_ids)
    _ledger_holds(seeded)


def test_on_account_keeps_the_cash_as_credit(seeded: Seeded, console: TestClient) -> None:
    duplicate = _open(seeded, "POSSIBLE_DUPLICATE")
    answer = console.post(f"/queue/{duplicate.exception_id}/on-account", data={})
    assert answer.status_code == 200, answer.text
    assert duplicate.exception_id not in _open_ids(seeded)
    _ledger_holds(seeded)


def test_bad_allocations_are_refused_and_change_nothing(seeded: Seeded, console: TestClient) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    before = seeded.api.get_payment(ambiguous.payment_id)
    for data, status in (
        ({"invoice_id": ["INV-3001"], "amount": ["12.345"]}, 400),  # more decimals than EUR
        ({"invoice_id": ["INV-3001"], "amount": ["abc"]}, 400),
        ({"invoice_id": ["NO-SUCH-INVOICE"], "amount": ["1.00"]}, 404),
        ({"invoice_id": ["INV-3001"], "amount": ["999999.00"]}, None),  # beyond the payment
        ({"invoice_id": [""], "amount": [""]}, 400),
    ):
        answer = console.post(f"/queue/{ambiguous.exception_id}/allocate", data=data)
        assert answer.status_code >= 400 if status is None else answer.status_code == status, answer.text
        assert "Nothing was changed" in answer.text
    after = seeded.api.get_payment(ambiguous.payment_id)
    assert after == before
    assert ambiguous.exception_id in _open_ids(seeded)


def test_edited_allocations_apply_exactly(seeded: Seeded, console: TestClient) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    invoice = ambiguous.suggestions[0].allocations[0].invoice_id
    answer = console.post(
        f"/queue/{ambiguous.exception_id}/allocate", data={"invoice_id": [invoice], "amount": ["10.00"]}
    )
    assert answer.status_code == 200, answer.text
    payment = seeded.api.get_payment(ambiguous.payment_id)
    assert [(a.invoice_id, a.amount.amount_minor) for a in payment.applications] == [(invoice, 1000)]
    _ledger_holds(seeded)


def test_action_without_csrf_token_is_refused(seeded: Seeded, console: TestClient) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    del console.headers["X-CSRF-Token"]
    assert console.post(f"/queue/{ambiguous.exception_id}/accept", data={"rank": "1"}).status_code == 403
    wrong = console.post(
        f"/queue/{ambiguous.exception_id}/accept", data={"rank": "1", "csrf_token": "forged"}
    )
    assert wrong.status_code == 403
    assert ambiguous.exception_id in _open_ids(seeded)


def test_remember_this_payer_identifies_the_next_payment_and_is_removable(
    seeded: Seeded, console: TestClient
) -> None:
    unknown = _open(seeded, "NO_CUSTOMER_IDENTIFIED")
    payer = seeded.api.get_payment(unknown.payment_id)
    answer = console.post(f"/queue/{unknown.exception_id}/remember", data={"customer_id": "C-UMBRELLA"})
    assert answer.status_code == 200, answer.text
    customer = seeded.api.get_customer("C-UMBRELLA")
    remembered = payer.payer_account or payer.payer_name
    assert remembered in [*customer.payer_accounts, *customer.name_aliases]
    seeded.api.create_payment(
        "BANK-NEXT", amount=money("1.00", "EUR"), value_date="2026-11-20",
        payer_account=payer.payer_account, payer_name=payer.payer_name,
    )  # fmt: skip
    decided = seeded.api.auto_apply(payment_ids=["BANK-NEXT"])
    assert [d.customer_id for d in decided.decisions] == ["C-UMBRELLA"]
    listed = console.get("/customers/C-UMBRELLA").text
    assert f'data-alias="{remembered}"' in listed
    kind = "account" if payer.payer_account else "name"
    removed = console.post("/customers/C-UMBRELLA/aliases/remove", data={"kind": kind, "value": remembered})
    assert removed.status_code == 200
    customer = seeded.api.get_customer("C-UMBRELLA")
    assert remembered not in [*customer.payer_accounts, *customer.name_aliases]


def test_bulk_accept_previews_then_applies(seeded: Seeded, console: TestClient) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    preview = console.post("/queue/bulk/preview", data={"exception_id": [ambiguous.exception_id]})
    assert 'data-preview-count="1"' in preview.text
    assert ambiguous.exception_id in _open_ids(seeded)  # a preview changes nothing
    done = console.post("/queue/bulk/accept", data={"exception_id": [ambiguous.exception_id]})
    assert "for 1 payment(s)" in done.text
    assert ambiguous.exception_id not in _open_ids(seeded)
    _ledger_holds(seeded)


def test_return_from_the_queue_reverses_the_payment(seeded: Seeded, console: TestClient) -> None:
    unknown = _open(seeded, "NO_CUSTOMER_IDENTIFIED")
    answer = console.post(f"/queue/{unknown.exception_id}/return", data={"reason_code": "R01"})
    assert answer.status_code == 200, answer.text
    payment = seeded.api.get_payment(unknown.payment_id)
    assert payment.returned_amount.amount_minor == payment.amount.amount_minor
    _ledger_holds(seeded)


def test_assign_to_me_takes_the_exception_and_the_assignee_filter_finds_it(
    seeded: Seeded, console: TestClient
) -> None:
    ambiguous = _open(seeded, "AMBIGUOUS_AMOUNT_MATCH")
    detail = console.get(f"/queue/{ambiguous.exception_id}").text
    assert 'data-key="m"' in detail and f"/queue/{ambiguous.exception_id}/assign" in detail
    answer = console.post(f"/queue/{ambiguous.exception_id}/assign", data={})
    assert answer.status_code == 200, answer.text
    assert "alice took payment" in answer.text
    assert _open(seeded, "AMBIGUOUS_AMOUNT_MATCH").assignee == "alice"
    rows = lambda html: set(re.findall(r'tr class="qrow" id="row-([0-9a-f]{32})"', html))  # noqa: E731
    mine = console.get("/queue/list", params={"assignee": "alice"}).text
    assert rows(mine) == {ambiguous.exception_id}
    assert 'data-assignee="alice"' in mine
    assert rows(console.get("/queue/list", params={"assignee": "bob"}).text) == set()
    assert ambiguous.exception_id in _open_ids(seeded), "taking an exception resolves nothing"
    _ledger_holds(seeded)
