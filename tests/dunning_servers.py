"""Real receivers for dunning sends, on loopback: an SMTP server (aiosmtpd) and an HTTP provider
(http.server), each counting what it received and able to refuse for a while."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class SmtpInbox:
    messages: list[Message] = field(default_factory=list)
    # While set, every message is refused with a temporary error (451), as a busy server does.
    refusing: bool = False
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 try again later"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    inbox = SmtpInbox()
    # aiosmtpd checks readiness by connecting to the port it was given, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class HttpInbox:
    requests: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)
    # While set, every request is answered 503.
    refusing: bool = False


@contextmanager
def http_provider() -> Iterator[tuple[HttpInbox, str]]:
    inbox = HttpInbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if inbox.refusing:
                self.send_response(503)
            else:
                inbox.requests.append((json.loads(body), dict(self.headers)))
                self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield inbox, f"http://127.0.0.1:{httpd.server_address[1]}/notify"
    finally:
        httpd.shutdown()
        httpd.server_close()
