"""The console's ASGI app: sign-in, the queue, the overview, history pages and imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cashapp_client import CashappError
from console import history, queue_routes
from console.overview import load_overview
from console.users import authenticate
from console.web import (
    HERE,
    ClientPool,
    ConsoleConfig,
    check_csrf,
    clerk_and_client,
    error_response,
    form_error,
    render,
    signed_in,
)

SESSION_MAX_AGE_SECONDS = 8 * 3600  # one working day
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # the server's own statement limit is of this order
STATEMENT_FORMATS = ("", "camt.053", "camt.054", "bai2", "mt940", "mt942", "edi820", "nacha", "csv")


def login_page(request: Request) -> Response:
    return render(request, "login.html", {"error": ""})


async def login(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    config = request.app.state.config
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    clerk = await run_in_threadpool(authenticate, config.clerks, name, password)
    if clerk is None:
        return render(request, "login.html", {"error": "unknown clerk or wrong password"}, 401)
    csrf = request.session.get("csrf")
    request.session.clear()  # a fresh session on sign-in: no fixation of one made before
    request.session.update({"clerk": clerk.name, "csrf": csrf})
    return RedirectResponse("/queue", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def home(request: Request) -> Response:
    return RedirectResponse("/queue" if signed_in(request) else "/login", status_code=303)


def _as_of(request: Request) -> dt.date:
    text = request.query_params.get("as_of", "")
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise HTTPException(400, "as_of must be a date YYYY-MM-DD") from None
    config: ConsoleConfig = request.app.state.config
    return config.today()


def overview_page(request: Request) -> Response:
    _, client = clerk_and_client(request)
    as_of = _as_of(request)
    try:
        overview = load_overview(client, as_of)
    except CashappError as error:
        return error_response(request, error)
    return render(request, "overview.html", {"o": overview})


def imports_page(request: Request) -> Response:
    clerk_and_client(request)
    return render(request, "imports.html", {"formats": STATEMENT_FORMATS})


async def import_statement(request: Request) -> Response:
    form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    check_csrf(request, form)
    _, client = clerk_and_client(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return form_error(request, "choose a bank file to upload", "file")
    fmt = str(form.get("format", ""))
    if fmt not in STATEMENT_FORMATS:
        return form_error(request, f"unknown format {fmt!r}", "format")
    data = await upload.read()
    auto_apply = form.get("auto_apply") == "on"
    try:
        summary = await run_in_threadpool(
            lambda: client.import_statement(
                data, format=fmt or None, auto_apply=auto_apply, file_name=upload.filename
            )
        )
    except CashappError as error:
        return error_response(request, error)
    return render(request, "_import_summary.html", {"s": summary})


def health(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(config: ConsoleConfig) -> Starlette:
    pool = ClientPool(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.close()

    routes = [
        Route("/", home),
        Route("/healthz", health),
        Route("/login", login_page),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/overview", overview_page),
        Route("/imports", imports_page),
        Route("/imports", import_statement, methods=["POST"]),
        *queue_routes.ROUTES,
        *history.ROUTES,
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=config.secret_key,
            session_cookie="cashapp_console",
            max_age=SESSION_MAX_AGE_SECONDS,
            same_site="strict",
            https_only=config.https_only,
        )
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.config = config
    app.state.pool = pool
    return app
