"""Mail: relayed through a real (local) SMTP server, and always recorded in the outbox."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.mail import OutboxMailer


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_mail_goes_through_smtp_and_is_marked_sent(
    engine: AsyncEngine, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    to = f"reader.{uuid.uuid4().hex[:8]}@example.pk"
    await OutboxMailer(engine, f"smtp://127.0.0.1:{port}").send(to, "Hello", "Body text\n")
    for _ in range(50):
        if inbox.messages:
            break
        await asyncio.sleep(0.02)
    ((rcpt, raw),) = inbox.messages
    message = message_from_bytes(raw)
    assert rcpt == [to]
    assert message["Subject"] == "Hello"
    assert message.get_payload().strip() == "Body text"  # type: ignore[union-attr]
    async with engine.connect() as conn:
        sent = await conn.scalar(
            text("SELECT sent_at IS NOT NULL FROM mail_outbox WHERE to_address = :t"), {"t": to}
        )
    assert sent is True


async def test_without_smtp_mail_stays_in_the_outbox(engine: AsyncEngine) -> None:
    to = f"reader.{uuid.uuid4().hex[:8]}@example.pk"
    await OutboxMailer(engine).send(to, "Queued", "Later\n")
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT subject, sent_at FROM mail_outbox WHERE to_address = :t"), {"t": to}
            )
        ).one()
    assert (row.subject, row.sent_at) == ("Queued", None)
