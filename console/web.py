"""What every page shares: the signed-in clerk, the clerk's API client, CSRF, templates, errors."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from cashapp_client import CashappError, Client
from console import display
from console.users import Clerk

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TEMPLATES.env.filters["money"] = display.money_text
TEMPLATES.env.filters["amount"] = display.amount_text
TEMPLATES.env.filters["when"] = display.time_text
TEMPLATES.env.filters["state_name"] = display.enum_text
CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CLIENT_TIMEOUT_SECONDS = 30.0

# gRPC status -> the HTTP status the page answers with; the message is the server's own.
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 403,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


@dataclass
class ConsoleConfig:
    target: str
    clerks: dict[str, Clerk]
    secret_key: str
    https_only: bool = False
    today: Callable[[], dt.date] = field(default=lambda: dt.datetime.now(dt.UTC).date())
    credentials: grpc.ChannelCredentials | None = None


class ClientPool:
    """One API client (one channel) per clerk token, made on first use and reused."""

    def __init__(self, config: ConsoleConfig) -> None:
        self._config = config
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def for_clerk(self, clerk: Clerk) -> Client:
        with self._lock:
            client = self._clients.get(clerk.name)
            if client is None:
                client = Client(
                    self._config.target,
                    token=clerk.token or None,
                    timeout_seconds=CLIENT_TIMEOUT_SECONDS,
                    credentials=self._config.credentials,
                )
                self._clients[clerk.name] = client
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def state(request: Request) -> tuple[ConsoleConfig, ClientPool]:
    return request.app.state.config, request.app.state.pool


def signed_in(request: Request) -> Clerk | None:
    config, _ = state(request)
    name = request.session.get("clerk")
    return config.clerks.get(name) if isinstance(name, str) else None


def clerk_and_client(request: Request) -> tuple[Clerk, Client]:
    clerk = signed_in(request)
    if clerk is None:
        raise HTTPException(303, headers={"Location": "/login"})
    return clerk, state(request)[1].for_clerk(clerk)


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """Every POST carries the session's token, in the form or (htmx) in a header; a page of
    another site cannot read it, so it cannot forge a clerk's action."""
    expected = request.session.get(CSRF_SESSION_KEY)
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(given, str):
        raise HTTPException(403, "missing CSRF token")
    if not hmac.compare_digest(expected, given):
        raise HTTPException(403, "bad CSRF token")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    context = {
        "clerk": signed_in(request),
        "csrf": csrf_token(request),
        "path": request.url.path,
        **context,
    }
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def error_response(request: Request, error: CashappError) -> Response:
    """The API's refusal, shown to the clerk as it was given (field and reason included)."""
    fields = [f"{v.field}: {v.description}" for v in error.field_violations]
    response = render(
        request,
        "_error.html",
        {"message": error.message, "reason": error.reason, "fields": fields},
        _HTTP_STATUS.get(error.code, 500),
    )
    return _retarget(request, response)


def form_error(request: Request, message: str, field_name: str) -> Response:
    return _retarget(
        request,
        render(request, "_error.html", {"message": message, "reason": "", "fields": [field_name]}, 400),
    )


def _retarget(request: Request, response: Response) -> Response:
    """An htmx request's refusal goes to the page's messages area, not over the queue."""
    if request.headers.get("hx-request") == "true":
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    return response
