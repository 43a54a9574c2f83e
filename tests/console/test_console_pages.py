"""Sign-in, the overview's charts against the reports, history pages and the imports page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from starlette.testclient import TestClient

from cashapp_client import dunning_level
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as dunning_pb2
from console.app import create_app
from console.display import amount_text
from console.overview import BUCKETS
from console.web import ConsoleConfig
from tests.console.conftest import Seeded, clerks
from tests.console.helpers import PASSWORDS, TODAY, csrf_of, sign_in

CAMT053 = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "camt" / "camt053_v02_remittance.xml"


def _fresh(seeded: Seeded) -> TestClient:
    config = ConsoleConfig(target=seeded.target, clerks=clerks(), secret_key="s" * 40, today=lambda: TODAY)
    return TestClient(create_app(config))


def test_pages_need_a_signed_in_clerk(seeded: Seeded) -> None:
    with _fresh(seeded) as http:
        for path in ("/queue", "/overview", "/imports", "/invoices/INV-1001"):
            answer = http.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_a_wrong_password_or_unknown_clerk_is_refused(seeded: Seeded) -> None:
    with _fresh(seeded) as http:
        token = csrf_of(http.get("/login").text)
        for name, password in (("alice", "wrong"), ("mallory", PASSWORDS["alice"])):
            answer = http.post("/login", data={"username": name, "password": password, "csrf_token": token})
            assert answer.status_code == 401
        assert http.get("/queue", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(seeded: Seeded) -> None:
    with _fresh(seeded) as http:
        http.get("/login")
        answer = http.post("/login", data={"username": "alice", "password": PASSWORDS["alice"]})
        assert answer.status_code == 403


def test_session_cookie_is_signed_and_a_forged_one_is_ignored(seeded: Seeded) -> None:
    with _fresh(seeded) as http:
        sign_in(http, "bob")
        assert "data-clerk>bob<" in http.get("/queue").text
        # Only the forged cookie is sent (a second one beside the signed cookie would hide the test).
        http.cookies.clear()
        http.cookies.set("cashapp_console", "eyJjbGVyayI6ICJhbGljZSJ9.forged.signature")
        assert http.get("/queue", follow_redirects=False).status_code == 303


def _bars(html: str, chart_id: str) -> dict[str, str]:
    figure = html[html.index(f'id="{chart_id}"') :]
    figure = figure[: figure.index("</figure>")]
    found = re.findall(r'class="bar" data-label="([^"]+)" data-value="([^"]+)"', figure)
    return {unescape(label): unescape(value) for label, value in found}


def test_overview_charts_show_the_reports_figures(seeded: Seeded, console: TestClient) -> None:
    html = console.get("/overview").text
    aging = seeded.api.get_aging_report(TODAY)
    assert aging.totals
    for total in aging.totals:
        bars = _bars(html, f"aging-{total.currency_code}")
        expected = {
            label: amount_text(getattr(total.receivables, name), total.currency_code)
            for label, name in BUCKETS
        }
        assert bars == expected
    assert _bars(html, "aging-EUR")["1-30"] != "0.00"  # the book has euro invoices past due
    rate = seeded.api.get_match_rate_report(TODAY, TODAY).envelope
    assert _bars(html, "match-rate")[TODAY.isoformat()] == (rate.percent or "0")
    dso = seeded.api.get_dso_report(TODAY, currency_code="EUR", period="month", period_count=1)
    assert _bars(html, "dso-EUR")[TODAY.isoformat()] == (dso.simple_dso_days or "0")
    paid = sum(
        p.amount.amount_minor
        for p in seeded.api.list_payments()
        if p.value_date == "2026-11-08" and p.amount.currency_code == "EUR"
    )
    assert paid > 0
    assert _bars(html, "cash-EUR")["2026-11-08"] == amount_text(paid, "EUR")
    assert 'href="/invoices?customer_id=C-ACME"' in html


def test_overview_refuses_a_bad_date(console: TestClient) -> None:
    assert console.get("/overview", params={"as_of": "2026-13-01"}).status_code == 400


def test_invoice_history_shows_who_opened_a_dispute(seeded: Seeded, console: TestClient) -> None:
    exception = next(iter(seeded.api.list_exceptions()))
    open_invoice = next(
        i for i in seeded.api.list_invoices(customer_id="C-UMBRELLA") if i.open_amount.amount_minor
    )
    answer = console.post(
        f"/queue/{exception.exception_id}/dispute",
        data={"invoice_id": open_invoice.invoice_id, "amount": "10.00", "note": "damaged goods"},
    )
    assert answer.status_code == 200, answer.text
    history = console.get(f"/invoices/{open_invoice.invoice_id}").text
    assert 'data-actor="alice"' in history and "damaged goods" in history
    bad = console.post(
        f"/queue/{exception.exception_id}/dispute", data={"invoice_id": "NO-SUCH", "amount": "1.00"}
    )
    assert bad.status_code == 404 and "Nothing was changed" in bad.text


def test_payment_page_shows_its_decisions(seeded: Seeded, console: TestClient) -> None:
    decision = next(iter(seeded.api.list_decisions()))
    html = console.get(f"/payments/{decision.payment_id}").text
    assert f'id="decision-{decision.decision_id}"' in html
    assert console.get("/payments/NO-SUCH-PAYMENT").status_code == 404


def test_upload_a_camt053_shows_its_summary(seeded: Seeded, console: TestClient) -> None:
    before = sum(1 for _ in seeded.api.list_payments())
    answer = console.post(
        "/imports",
        data={"format": "camt.053"},
        files={"file": (CAMT053.name, CAMT053.read_bytes(), "text/xml")},
    )
    assert answer.status_code == 200, answer.text
    created = int(re.search(r"data-created>(\d+)<", answer.text).group(1))  # type: ignore[union-attr]
    assert created > 0
    assert sum(1 for _ in seeded.api.list_payments()) == before + created
    again = console.post(
        "/imports", data={"format": "camt.053"}, files={"file": (CAMT053.name, CAMT053.read_bytes())}
    )
    assert "imported before" in again.text


def test_upload_refuses_a_missing_file_or_unknown_format(seeded: Seeded, console: TestClient) -> None:
    assert console.post("/imports", data={"format": "camt.053"}).status_code == 400
    wrong = console.post("/imports", data={"format": "pdf"}, files={"file": ("x.pdf", b"%PDF")})
    assert wrong.status_code == 400
    garbage = console.post("/imports", data={"format": "camt.053"}, files={"file": ("x.xml", b"<not-camt/>")})
    assert garbage.status_code == 400 and "Nothing was changed" in garbage.text


def test_invoice_history_lists_the_dunning_notices_that_named_it(seeded: Seeded, console: TestClient) -> None:
    level = dunning_level(1, [dunning_pb2.DUNNING_CHANNEL_LETTER], currency_code="EUR")
    seeded.api.create_dunning_policy("remind", display_name="Reminder", currency_code="EUR", levels=[level])
    run = seeded.api.run_dunning("remind", as_of_date="2027-06-30")
    assert run.notices, "the seeded book has overdue invoices"
    notice = run.notices[0]
    invoice_id = notice.items[0].invoice_id
    page = console.get(f"/invoices/{invoice_id}").text
    assert f'data-notice-id="{notice.notice_id}"' in page
    others = [n for n in run.notices if invoice_id not in {i.invoice_id for i in n.items}]
    assert all(f'data-notice-id="{n.notice_id}"' not in page for n in others)
