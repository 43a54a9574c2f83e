"""The exception queue's pages and actions. Each action is one API call (or two for bulk and
"remember this payer") with the clerk's token; the answer is the refreshed queue, so the next
exception comes up where the resolved one was (auto-advance)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cashapp_client import Allocation, CashappError, Client, Customer, money
from console.display import amount_text, to_minor
from console.queue_view import Filters, decision_of, load_queue, open_exception
from console.users import Clerk
from console.web import check_csrf, clerk_and_client, error_response, form_error, render, state

MAX_ALLOCATION_LINES = 100  # ApplyPayment's own limit
MAX_BULK = 100


FILTER_FIELDS = ("reason", "customer", "min_age_days", "min_amount", "max_amount", "q", "assignee")


def _filters(request: Request, form: FormData | None = None) -> Filters:
    """The queue's filters, from the query string or (an action's hx-include) from the form."""
    params = dict(request.query_params)
    if form is not None:
        params.update({k: str(form.get(k, "")) for k in FILTER_FIELDS if k in form})
    return Filters.of(params)


def _queue_context(request: Request, client: Client, filters: Filters) -> dict[str, object]:
    config, _ = state(request)
    queue = load_queue(client, filters, config.today())
    return {"queue": queue, "filters": filters, "query": filters.as_query()}


def queue_page(request: Request) -> Response:
    _, client = clerk_and_client(request)
    try:
        context = _queue_context(request, client, _filters(request))
    except CashappError as error:
        return error_response(request, error)
    return render(request, "queue.html", context)


def queue_list(request: Request) -> Response:
    _, client = clerk_and_client(request)
    try:
        context = _queue_context(request, client, _filters(request))
    except CashappError as error:
        return error_response(request, error)
    return render(request, "_queue_list.html", context)


def exception_detail(request: Request) -> Response:
    _, client = clerk_and_client(request)
    try:
        exception = open_exception(client, request.path_params["exception_id"])
        payment = client.get_payment(exception.payment_id)
        decision = decision_of(client, exception)
    except CashappError as error:
        return error_response(request, error)
    return render(
        request,
        "_exception.html",
        {
            "e": exception,
            "p": payment,
            "decision": decision,
            "request_id": uuid.uuid4().hex,
            "currency": payment.amount.currency_code,
        },
    )


Action = Callable[[Request, FormData, Clerk, Client], str]


def _action(do: Action) -> Callable[[Request], object]:
    """Wraps one action: CSRF first, then the API call; its refusal is shown unchanged (nothing
    happened); success answers with the refreshed queue and what was done."""

    async def endpoint(request: Request) -> Response:
        form = await request.form()
        check_csrf(request, form)
        clerk, client = clerk_and_client(request)

        def work() -> Response:
            try:
                message = do(request, form, clerk, client)
            except CashappError as error:
                return error_response(request, error)
            except ValueError as error:
                return form_error(request, str(error), "form")
            context = _queue_context(request, client, _filters(request, form))
            context["message"] = message
            response = render(request, "_queue_list.html", context)
            response.headers["HX-Trigger"] = "queue-changed"
            return response

        return await run_in_threadpool(work)

    return endpoint


def _request_id(form: FormData) -> str | None:
    value = form.get("request_id")
    return value if isinstance(value, str) and value else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def assign_to_me(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    """Takes the exception: the queue filtered by this clerk's name lists it (AssignException)."""
    exception_id = request.path_params["exception_id"]
    e = client.assign_exception(exception_id, clerk.name, request_id=_request_id(form))
    return f"{clerk.name} took payment {e.payment_id}"


def accept(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    rank_text = _text(form, "rank") or "1"
    if not rank_text.isdigit():
        raise ValueError("rank must be a whole number")
    exception_id = request.path_params["exception_id"]
    e = client.resolve_exception(exception_id, rank=int(rank_text), request_id=_request_id(form))
    return f"{clerk.name} accepted suggestion #{rank_text} for payment {e.payment_id}"


def _allocations(form: FormData, currency: str) -> list[Allocation]:
    invoices = form.getlist("invoice_id")
    amounts = form.getlist("amount")
    deductions = form.getlist("deduction")
    reasons = form.getlist("deduction_reason")
    lines: list[Allocation] = []
    for i, invoice in enumerate(invoices):
        if not isinstance(invoice, str) or not invoice.strip():
            continue
        amount = amounts[i] if i < len(amounts) else ""
        deduction = deductions[i] if i < len(deductions) else ""
        reason = reasons[i] if i < len(reasons) else ""
        line = Allocation(invoice_id=invoice.strip(), amount=money(str(amount).strip() or "0", currency))
        if isinstance(deduction, str) and deduction.strip():
            line.deduction.CopyFrom(money(deduction.strip(), currency))
            line.deduction_reason = str(reason).strip()
        lines.append(line)
    if not lines:
        raise ValueError("name at least one invoice to allocate to")
    if len(lines) > MAX_ALLOCATION_LINES:
        raise ValueError(f"at most {MAX_ALLOCATION_LINES} allocation lines")
    return lines


def allocate(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    exception = open_exception(client, request.path_params["exception_id"])
    payment = client.get_payment(exception.payment_id)
    lines = _allocations(form, payment.amount.currency_code)
    client.resolve_exception(exception.exception_id, allocations=lines, request_id=_request_id(form))
    return f"{clerk.name} applied payment {payment.payment_id} to {', '.join(a.invoice_id for a in lines)}"


def on_account(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    e = client.resolve_exception(
        request.path_params["exception_id"], on_account=True, request_id=_request_id(form)
    )
    return f"{clerk.name} put payment {e.payment_id} on account of {e.customer_id}"


def dispute(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    invoice_id = _text(form, "invoice_id")
    invoice = client.get_invoice(invoice_id)
    amount = money(_text(form, "amount") or "0", invoice.amount.currency_code)
    note = (
        _text(form, "note")
        or f"opened from the queue for payment of exception {request.path_params['exception_id']}"
    )
    case = client.open_dispute(
        _text(form, "case_id") or f"DSP-{uuid.uuid4().hex[:12]}",
        invoice_id=invoice_id,
        amount=amount,
        note=note,
        category=_text(form, "category"),
        actor=clerk.name,
        request_id=_request_id(form),
    )
    return f"{clerk.name} opened dispute {case.case_id} on {invoice_id}"


def return_payment(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    exception = open_exception(client, request.path_params["exception_id"])
    ret = client.return_payment(
        _text(form, "return_id") or f"RET-{uuid.uuid4().hex[:12]}",
        payment_id=exception.payment_id,
        reason_code=_text(form, "reason_code"),
        request_id=_request_id(form),
    )
    return f"{clerk.name} returned payment {exception.payment_id} ({ret.return_id})"


def remember(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    """Stores the payer's account (or, without one, its name) on the customer, so the pipeline's
    identification finds that customer for the next payment from this payer."""
    exception = open_exception(client, request.path_params["exception_id"])
    payment = client.get_payment(exception.payment_id)
    customer_id = _text(form, "customer_id") or exception.customer_id
    if not customer_id:
        raise ValueError("customer_id: name the customer this payer belongs to")
    customer = client.get_customer(customer_id)
    if payment.payer_account:
        if payment.payer_account in customer.payer_accounts:
            return f"{customer_id} already knows account {payment.payer_account}"
        client.update_customer(
            customer_id,
            payer_accounts=[*customer.payer_accounts, payment.payer_account],
            request_id=_request_id(form),
        )
        return f"{clerk.name}: payer account {payment.payer_account} now identifies {customer_id}"
    if not payment.payer_name:
        raise ValueError("the payment names neither a payer account nor a payer name")
    if payment.payer_name in customer.name_aliases:
        return f"{customer_id} already knows the name {payment.payer_name}"
    client.update_customer(
        customer_id, name_aliases=[*customer.name_aliases, payment.payer_name], request_id=_request_id(form)
    )
    return f"{clerk.name}: payer name {payment.payer_name!r} now identifies {customer_id}"


def _bulk_ids(form: FormData) -> list[str]:
    ids = [i for i in form.getlist("exception_id") if isinstance(i, str) and i]
    if not ids:
        raise ValueError("select at least one exception")
    if len(ids) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} exceptions at once")
    return ids


async def bulk_preview(request: Request) -> Response:
    """What accepting the top suggestion of each selected exception would apply; nothing yet."""
    form = await request.form()
    check_csrf(request, form)
    _, client = clerk_and_client(request)
    try:
        ids = set(_bulk_ids(form))
    except ValueError as error:
        return form_error(request, str(error), "exception_id")
    exceptions = await run_in_threadpool(lambda: list(client.list_exceptions()))
    rows = [(e, e.suggestions[0] if e.suggestions else None) for e in exceptions if e.exception_id in ids]
    return render(request, "_bulk_preview.html", {"rows": rows, "request_id": uuid.uuid4().hex})


def bulk_accept(request: Request, form: FormData, clerk: Clerk, client: Client) -> str:
    ids = _bulk_ids(form)
    base = _request_id(form) or uuid.uuid4().hex
    done, refused = [], []
    for i, exception_id in enumerate(ids):
        try:
            e = client.resolve_exception(exception_id, rank=1, request_id=f"{base}-{i}")
            done.append(e.payment_id)
        except CashappError as error:
            refused.append(f"{exception_id[:8]}: {error.message}")
    message = f"{clerk.name} accepted the top suggestion for {len(done)} payment(s)"
    if refused:
        message += f"; refused: {'; '.join(refused)}"
    return message


def customer_aliases(request: Request) -> Response:
    _, client = clerk_and_client(request)
    try:
        customer = client.get_customer(request.path_params["customer_id"])
    except CashappError as error:
        return error_response(request, error)
    return render(request, "customer.html", {"customer": customer})


async def remove_alias(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    _, client = clerk_and_client(request)
    kind, value = _text(form, "kind"), _text(form, "value")
    return await run_in_threadpool(_remove_alias, request, client, kind, value)


def _remove_alias(request: Request, client: Client, kind: str, value: str) -> Response:
    try:
        customer: Customer = client.get_customer(request.path_params["customer_id"])
        if kind == "account":
            kept = [a for a in customer.payer_accounts if a != value]
            customer = client.update_customer(customer.customer_id, payer_accounts=kept)
        elif kind == "name":
            kept = [a for a in customer.name_aliases if a != value]
            customer = client.update_customer(customer.customer_id, name_aliases=kept)
        else:
            return form_error(request, "kind must be 'account' or 'name'", "kind")
    except CashappError as error:
        return error_response(request, error)
    return render(request, "customer.html", {"customer": customer, "message": f"removed {value}"})


def running_remaining(payment_unapplied_minor: int, currency: str, allocated: list[str]) -> str:
    """The amount left after the lines typed so far (the edit form's server-side twin)."""
    total = sum(to_minor(a, currency) for a in allocated if a.strip())
    return amount_text(payment_unapplied_minor - total, currency)


async def remaining(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    _, client = clerk_and_client(request)
    amounts = [str(a) for a in form.getlist("amount")]
    return await run_in_threadpool(_remaining, request, client, amounts)


def _remaining(request: Request, client: Client, amounts: list[str]) -> Response:
    try:
        payment = client.get_payment(request.path_params["payment_id"])
        currency = payment.amount.currency_code
        text = running_remaining(payment.unapplied_amount.amount_minor, currency, amounts)
    except CashappError as error:
        return error_response(request, error)
    except ValueError as error:
        return form_error(request, str(error), "amount")
    return render(request, "_remaining.html", {"remaining": text, "currency": currency})


ROUTES = [
    Route("/queue", queue_page),
    Route("/queue/list", queue_list),
    Route("/queue/bulk/preview", bulk_preview, methods=["POST"]),
    Route("/queue/bulk/accept", _action(bulk_accept), methods=["POST"]),
    Route("/queue/{exception_id}", exception_detail),
    Route("/queue/{exception_id}/accept", _action(accept), methods=["POST"]),
    Route("/queue/{exception_id}/allocate", _action(allocate), methods=["POST"]),
    Route("/queue/{exception_id}/on-account", _action(on_account), methods=["POST"]),
    Route("/queue/{exception_id}/dispute", _action(dispute), methods=["POST"]),
    Route("/queue/{exception_id}/return", _action(return_payment), methods=["POST"]),
    Route("/queue/{exception_id}/remember", _action(remember), methods=["POST"]),
    Route("/queue/{exception_id}/assign", _action(assign_to_me), methods=["POST"]),
    Route("/payments/{payment_id}/remaining", remaining, methods=["POST"]),
    Route("/customers/{customer_id}", customer_aliases),
    Route("/customers/{customer_id}/aliases/remove", remove_alias, methods=["POST"]),
]
