"""How a notice leaves: e-mail over SMTP, SMS and webhook through an HTTP provider, letters as
PDF files in a print folder. A sender raises PermanentFailure when retrying cannot help (no
address, the provider refuses the request) and anything else (TransientFailure, OSError,
smtplib errors) when a later attempt may succeed.

Each send carries the delivery's key (notice id and channel) so a receiver can drop a copy: an
SMTP Message-ID, an Idempotency-Key header, the letter's file name. The outbox sends a delivery
again only when its process died between sending and recording (at least once, never twice on
purpose); these keys make even that copy recognisable.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from engine.dunning.letter_pdf import letter_pdf
from engine.dunning.model import Channel, Contact, Notice
from engine.dunning.render import Rendered

SMTP_TIMEOUT_SECONDS = 30.0
HTTP_TIMEOUT_SECONDS = 30.0


class PermanentFailure(Exception):
    """Retrying cannot help: the delivery is marked FAILED and listed."""


class TransientFailure(Exception):
    """A later attempt may succeed (a 5xx, a 429, a refused connection)."""


class Sender(Protocol):
    def send(self, notice: Notice, contact: Contact, rendered: Rendered) -> str:
        """Sends and returns the recipient it went to."""


def delivery_key(notice: Notice, channel: Channel) -> str:
    return f"{notice.notice_id}.{channel.value.lower()}"


@dataclass(frozen=True, slots=True)
class SmtpSender:
    host: str
    port: int
    sender: str

    def send(self, notice: Notice, contact: Contact, rendered: Rendered) -> str:
        if not self.host:
            raise TransientFailure("no SMTP server configured (CASHAPP_SMTP_HOST)")
        if not contact.email:
            raise PermanentFailure(f"customer {notice.customer_id!r} has no e-mail address")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = contact.email
        message["Subject"] = rendered.subject
        message["Message-ID"] = f"<{delivery_key(notice, Channel.EMAIL)}@cashapp>"
        message.set_content(rendered.body)
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                raise PermanentFailure(f"the SMTP server refused {contact.email!r}: {exc}") from exc
        return contact.email


@dataclass(frozen=True, slots=True)
class HttpProvider:
    """SMS and webhook through one HTTP provider: a JSON POST to `url`, one per send, with an
    Idempotency-Key header. 2xx is sent; 408, 429 and 5xx are retried; other 4xx are final."""

    url: str

    def send_as(self, channel: Channel, notice: Notice, contact: Contact, rendered: Rendered) -> str:
        if not self.url:
            raise TransientFailure("no HTTP provider configured (CASHAPP_DUNNING_HTTP_URL)")
        to = contact.phone if channel is Channel.SMS else notice.customer_id
        if channel is Channel.SMS and not to:
            raise PermanentFailure(f"customer {notice.customer_id!r} has no phone number")
        body = {
            "channel": channel.value,
            "to": to,
            "notice_id": notice.notice_id,
            "customer_id": notice.customer_id,
            "currency_code": notice.currency,
            "total_minor": notice.total_minor,
            "level": notice.level,
            "text": rendered.short if channel is Channel.SMS else rendered.body,
            "invoice_ids": [i.invoice_id for i in notice.items],
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, sort_keys=True).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": delivery_key(notice, channel)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (408, 429) or exc.code >= 500:
                raise TransientFailure(f"HTTP provider answered {exc.code}") from exc
            raise PermanentFailure(f"HTTP provider refused the request: {exc.code}") from exc
        return to


@dataclass(frozen=True, slots=True)
class HttpChannel:
    provider: HttpProvider
    channel: Channel

    def send(self, notice: Notice, contact: Contact, rendered: Rendered) -> str:
        return self.provider.send_as(self.channel, notice, contact, rendered)


@dataclass(frozen=True, slots=True)
class LetterPrinter:
    """Writes the letter into the print folder (whatever prints and posts it watches there).
    The file is written under a temporary name and renamed, so a half-written PDF is never
    picked up."""

    folder: str

    def send(self, notice: Notice, contact: Contact, rendered: Rendered) -> str:
        if not self.folder:
            raise TransientFailure("no print folder configured (CASHAPP_PRINT_FOLDER)")
        if not contact.postal_address:
            raise PermanentFailure(f"customer {notice.customer_id!r} has no postal address")
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{delivery_key(notice, Channel.LETTER)}.pdf"
        partial = target.with_suffix(".pdf.partial")
        partial.write_bytes(letter_pdf(rendered, contact.postal_address))
        partial.replace(target)
        return str(target)


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "cashapp@localhost"
    http_url: str = ""
    print_folder: str = ""

    def senders(self) -> dict[Channel, Sender]:
        provider = HttpProvider(self.http_url)
        return {
            Channel.EMAIL: SmtpSender(self.smtp_host, self.smtp_port, self.smtp_sender),
            Channel.SMS: HttpChannel(provider, Channel.SMS),
            Channel.WEBHOOK: HttpChannel(provider, Channel.WEBHOOK),
            Channel.LETTER: LetterPrinter(self.print_folder),
        }
