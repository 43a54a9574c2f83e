"""Pages for one invoice's history and one payment's decisions: the engine's own records
(applications, returns, cases with who did what, dunning notices), read through the API."""

from __future__ import annotations

import itertools

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cashapp_client import CashappError, Client
from console.web import clerk_and_client, error_response, render

MAX_LISTED = 500


def invoice_history(client: Client, invoice_id: str) -> dict[str, object]:
    invoice = client.get_invoice(invoice_id)
    applications = []
    for payment in client.list_payments(customer_id=invoice.customer_id):
        for application in payment.applications:
            if application.invoice_id == invoice_id:
                applications.append(application)
    returns = [r for r in client.list_returns() if r.invoice_id == invoice_id]
    cases = list(client.list_cases(invoice_id=invoice_id))
    # The dunning notices that listed it (one notice per customer and run lists all overdue items).
    notices = [
        (notice, item)
        for notice in client.list_dunning_notices(customer_id=invoice.customer_id)
        for item in notice.items
        if item.invoice_id == invoice_id
    ]
    return {
        "invoice": invoice,
        "applications": applications,
        "returns": returns,
        "cases": cases,
        "notices": notices,
    }


def invoice_page(request: Request) -> Response:
    _, client = clerk_and_client(request)
    try:
        context = invoice_history(client, request.path_params["invoice_id"])
    except CashappError as error:
        return error_response(request, error)
    return render(request, "invoice.html", context)


def invoices_page(request: Request) -> Response:
    _, client = clerk_and_client(request)
    customer_id = request.query_params.get("customer_id") or None
    try:
        invoices = []
        for invoice in client.list_invoices(customer_id=customer_id):
            invoices.append(invoice)
            if len(invoices) >= MAX_LISTED:
                break
    except CashappError as error:
        return error_response(request, error)
    return render(request, "invoices.html", {"invoices": invoices, "customer_id": customer_id or ""})


def payment_page(request: Request) -> Response:
    _, client = clerk_and_client(request)
    payment_id = request.path_params["payment_id"]
    try:
        payment = client.get_payment(payment_id)
        decisions = list(client.list_decisions(payment_id=payment_id))
    except CashappError as error:
        return error_response(request, error)
    return render(request, "payment.html", {"p": payment, "decisions": decisions})


def payments_page(request: Request) -> Response:
    _, client = clerk_and_client(request)
    value_date = request.query_params.get("value_date", "")
    try:
        # Filtered by the server (an invalid date is its INVALID_ARGUMENT, shown as such).
        pages = client.list_payments(value_date=value_date or None)
        payments = list(itertools.islice(pages, MAX_LISTED))
    except CashappError as error:
        return error_response(request, error)
    return render(request, "payments.html", {"payments": payments, "value_date": value_date})


ROUTES = [
    Route("/invoices", invoices_page),
    Route("/invoices/{invoice_id}", invoice_page),
    Route("/payments", payments_page),
    Route("/payments/{payment_id}", payment_page),
]
