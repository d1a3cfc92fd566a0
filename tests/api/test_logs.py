"""JSON logs: one object a line with the request id, and secrets masked wherever they appear."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import orjson
import pytest

from api.logs import MASK, make_handler, mask

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLWJ5dGVz"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Everything logged, through the production handler on the root logger."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {JWT} refused", JWT),
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        ('{"password": "hunter2 with spaces", "x": 1}', "hunter2 with spaces"),
        ("password=hunter2&next=/", "hunter2"),
        ("{'refreshToken': 'r3fr3sh-t0k3n'}", "r3fr3sh-t0k3n"),
        ("totp code=492039 rejected", "492039"),
        ('{"totpCode": "492039"}', "492039"),
        ("reset mail sent to Ayesha.Khan@Example.PK", "Ayesha.Khan@Example.PK"),
    ],
)
def test_mask_hides_each_kind_of_secret(text: str, secret: str) -> None:
    masked = mask(text)
    assert secret not in masked
    assert MASK in masked


def test_mask_leaves_ordinary_text_and_error_codes_alone() -> None:
    text = 'quote OGDC 123.45 {"code": "NOT_FOUND", "field": "symbol"}'
    assert mask(text) == text


def test_a_record_is_one_json_object_with_extra_fields_masked(lines: io.StringIO) -> None:
    logging.getLogger("psx.test").warning(
        "login failed for %s with %s", "a.b@example.pk", f"Bearer {JWT}", extra={"body": JWT}
    )
    [record] = [orjson.loads(x) for x in lines.getvalue().splitlines()]
    assert record["level"] == "WARNING"
    assert record["logger"] == "psx.test"
    assert record["message"] == f"login failed for {MASK} with Bearer {MASK}"
    assert record["body"] == MASK
    assert "ts" in record


async def test_logs_of_a_request_carry_its_id_and_no_secret(
    client: httpx.AsyncClient, lines: io.StringIO
) -> None:
    # A failing document that holds credentials inline: strawberry logs the document.
    document = """mutation { login(input: {email: "leak.me@example.pk", password: "hunter2-leak",
        totpCode: "492039"}) { tokens { accessToken } nope } }"""
    response = await client.post(
        "/graphql",
        json={"query": document},
        headers={"x-request-id": "req-logs-0001", "authorization": f"Bearer {JWT}"},
    )
    assert response.headers["x-request-id"] == "req-logs-0001"
    output = lines.getvalue()
    # The test client's own line ("HTTP Request: ...") is written after the request ended.
    records = [r for x in output.splitlines() if (r := orjson.loads(x))["logger"] != "httpx"]
    assert {r["logger"] for r in records} >= {"strawberry.execution", "psx.access"}
    assert all(r.get("requestId") == "req-logs-0001" for r in records)
    for secret in ("leak.me@example.pk", "hunter2-leak", "492039", JWT):
        assert secret not in output
