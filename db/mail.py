"""Sending mail: SMTP when configured, otherwise the `mail_outbox` table.

Either way a copy goes to the outbox (with `sent_at` when SMTP took it), so support can see
what was sent. Log lines name the recipient masked and never the body (it may hold a token).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts.users import mask_email

log = logging.getLogger(__name__)

SENDER = "PSX Analytics <no-reply@psx-analytics.local>"


class Mailer(Protocol):
    """Something that delivers a message."""

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver (or queue) one message."""
        ...


class OutboxMailer:
    """Mail kept in `mail_outbox`, optionally relayed through SMTP."""

    def __init__(self, engine: AsyncEngine, smtp_url: str | None = None) -> None:
        self._engine = engine
        self._smtp = urlsplit(smtp_url) if smtp_url else None

    async def send(self, to: str, subject: str, body: str) -> None:
        """Record the message, then hand it to SMTP when configured."""
        async with self._engine.begin() as conn:
            mail_id = await conn.scalar(
                text(
                    "INSERT INTO mail_outbox (to_address, subject, body) VALUES (:t, :s, :b)"
                    " RETURNING id"
                ),
                {"t": to, "s": subject, "b": body},
            )
        if self._smtp is None:
            log.info("mail to %s written to the outbox (%s)", mask_email(to), subject)
            return
        try:
            await asyncio.to_thread(self._deliver, to, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP delivery to %s failed: %s", mask_email(to), type(exc).__name__)
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                text("UPDATE mail_outbox SET sent_at = now() WHERE id = :id"), {"id": mail_id}
            )
        log.info("mail to %s sent (%s)", mask_email(to), subject)

    def _deliver(self, to: str, subject: str, body: str) -> None:
        assert self._smtp is not None  # noqa: S101 - checked by send()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, to, subject
        message.set_content(body)
        host, port = self._smtp.hostname or "localhost", self._smtp.port or 25
        if self._smtp.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=10, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=10)
        with client:
            if self._smtp.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if self._smtp.username:
                client.login(unquote(self._smtp.username), unquote(self._smtp.password or ""))
            client.send_message(message)
