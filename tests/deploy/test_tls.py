"""`psx-analytics serve` speaks HTTPS and WSS itself when PSX_SSL_CERTFILE/PSX_SSL_KEYFILE are set."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.settings import Settings
from tests.conftest import fresh_database
from tests.e2e.conftest import free_port


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


@contextlib.contextmanager
def serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "api.cli", "serve", "--no-feed", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_settings_read_the_tls_files() -> None:
    settings = Settings.from_env(
        {"PSX_SSL_CERTFILE": "/tls/c.pem", "PSX_SSL_KEYFILE": "/tls/k.pem"}
    )
    assert (settings.ssl_certfile, settings.ssl_keyfile) == (Path("/tls/c.pem"), Path("/tls/k.pem"))
    assert Settings.from_env({}).ssl_certfile is None


async def test_serve_answers_https_and_wss(tmp_path: Path) -> None:
    certfile, keyfile = self_signed(tmp_path)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=await fresh_database(f"psx_tls_{os.getpid()}"),
        PSX_AUTO_SEED="false",
        PSX_FEED="none",
        PSX_SSL_CERTFILE=str(certfile),
        PSX_SSL_KEYFILE=str(keyfile),
    )
    env.pop("REDIS_URL", None)
    port, log = free_port(), tmp_path / "serve.log"
    context = ssl.create_default_context(cafile=str(certfile))
    with serve(env, port, log) as proc:
        async with httpx.AsyncClient(verify=context) as http:
            for _ in range(600):
                assert proc.poll() is None, log.read_text()[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    answer = await http.get(f"https://127.0.0.1:{port}/healthz")
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(log.read_text()[-3000:])
            assert answer.json() == {"status": "ok"}
        async with websockets.connect(
            f"wss://127.0.0.1:{port}/graphql",
            subprotocols=["graphql-transport-ws"],
            ssl=context,  # type: ignore[list-item]
        ) as ws:
            await ws.send(orjson.dumps({"type": "connection_init"}).decode())
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
