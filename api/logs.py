"""Log records as JSON lines (or text), with the request id, and secrets masked wherever they are.

`MaskingFilter` rewrites a record's message and arguments before any handler formats it:
JWTs, `Bearer …` credentials, API keys (`psx_<prefix>_<secret>` keeps its public prefix),
`"password": …`-style values (password, token, secret, code, otp, totp, refresh/access
tokens, api keys and `X-API-Key` headers), six-digit one-time codes after such a key, and
email addresses. A filter on the handler, not the logger, so records of every library pass it.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from schema.observability import request_id_var

MASK = "***"

_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# psx_<8 hex>_<secret>: the prefix is public (listings show it), the rest is masked.
_API_KEY = re.compile(r"(?<![A-Za-z0-9])(psx_[0-9a-f]{8}_)[A-Za-z0-9_-]{8,}")
# Key names, not secrets.
_SECRET_KEYS = (
    r"password|passwd|new_?password|current_?password|secret|token|access_?token|"  # noqa: S105
    r"refresh_?token|api[_-]?key|authorization|otp|totp|totp_?code|otp_?code|mfa_?code|"
    r"verification_?code|recovery_?codes?"
)
# A one-time code named just `code` (TOTP is six digits; recovery codes are longer).
_CODE = re.compile(r"""(?i)(\bcode["']?\s*[:=]\s*["']?)\d{6,8}\b""")
# "password": "x", 'token': 'x', password=x, password: x (quoted or bare values).
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (["']?(?:\w*?(?:{_SECRET_KEYS}))["']?\s*[:=]\s*)
    ("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}}\]]+)
    """
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# Standard LogRecord attributes: everything else on a record is an `extra` field.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def mask(text: str) -> str:
    """`text` with every secret the patterns know replaced by `***`."""
    text = _JWT.sub(MASK, text)
    text = _API_KEY.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + _masked_value(m.group(2)), text)
    text = _CODE.sub(lambda m: m.group(1) + MASK, text)
    return _EMAIL.sub(MASK, text)


def _masked_value(value: str) -> str:
    if value[:1] in "\"'" and value[-1:] == value[:1]:
        return f"{value[0]}{MASK}{value[0]}"
    return MASK


def _mask_any(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask_any(v) for v in value)
    return value


class MaskingFilter(logging.Filter):
    """Masks secrets in the message, its arguments and the record's extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed format: keep the raw text
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        for key, value in list(record.__dict__.items()):
            if key not in _RESERVED and isinstance(value, str | dict | list | tuple):
                setattr(record, key, _mask_any(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, requestId, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id is not None:
            out["requestId"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key != "request_id" and not key.startswith("_"):
                out[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    """The human format, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, suffixed with `[request-id]` inside a request."""
        line = super().format(record)
        request_id = request_id_var.get()
        return f"{line} [{request_id}]" if request_id else line


def make_handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler with the masking filter and the chosen formatter (json or text)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Route the root logger (and uvicorn's) through one masked handler."""
    handler = make_handler(log_format)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
