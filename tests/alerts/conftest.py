"""Alert fixtures: an own warehouse database with Gia Lai units, a real SMTP and HTTP server.

The alert job commits (that is what exactly-once is about), so these tests use a database of
their own rather than the shared rolled-back `db` connection; each test starts from empty
findings and an empty alert log.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import uuid
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from psycopg.types.json import Jsonb

from alerts.config import LOCAL_TIME, AlertSettings
from tests.conftest import REFERENCE_DIR
from warehouse.database import apply_schema, with_database
from warehouse.reference import load_reference

FIXTURE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def alerts_url(server_url, session_env):
    """A database for the alert tests with the schema and the fixture reference data."""
    name = f"kpi_alerts_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    with psycopg.connect(url) as conn:
        apply_schema(conn)
        load_reference(conn, [REFERENCE_DIR, FIXTURE_DIR])
        conn.commit()
    yield url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
        admin.execute(f'drop database if exists "{name}"')


@pytest.fixture
def wh(alerts_url):
    """A committing connection to the alert database, emptied of findings and alerts."""
    with psycopg.connect(alerts_url, autocommit=True) as conn:
        conn.execute("truncate dq.finding, alerting.alert_log restart identity")
        yield conn


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TIME)


def add_finding(conn, key, rule, unit, indicator, period, *, severity="error", evidence=None,
                first_seen="2026-03-01T08:00", resolved=None):
    conn.execute(
        """insert into dq.finding (finding_key, rule, severity, unit_code, indicator_code, period_code,
                                   province_key, evidence, first_seen_at, last_seen_at, resolved_at)
           values (%s, %s, %s, %s, %s, %s, 'post_2025:province:52', %s, %s, %s, %s)""",
        (key, rule, severity, unit, indicator, period, Jsonb(evidence or {}), local(first_seen),
         local(first_seen), local(resolved) if resolved else None))


def resolve(conn, *keys, at="2026-03-30T10:00"):
    conn.execute("update dq.finding set resolved_at = %s where finding_key = any(%s)", (local(at), list(keys)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message received, parsed."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, email.message.EmailMessage]:
        return {rcpt[0]: message for rcpt, message in self.messages}


class SmtpServer:
    """A real SMTP server on localhost that can be started late (to test a server that is down)."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """An SMTP port with nothing listening yet; call .start() to bring the server up."""
    server = SmtpServer()
    yield server
    server.stop()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A real HTTP server on localhost; `received` holds (headers, body), `statuses` queues answers."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/kpi"
    server.payloads = lambda: [json.loads(body.decode("utf-8")) for _, body in server.received]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(smtp, webhook):
    return AlertSettings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="Sở Tài chính <kpi@stc.gialai.gov.vn>",
                         webhook_url=webhook.url, smtp_timeout_seconds=5, webhook_timeout_seconds=5)


@pytest.fixture
def email_only(smtp_down):
    return AlertSettings(smtp_host="127.0.0.1", smtp_port=smtp_down.port, smtp_timeout_seconds=5)


def with_smtp(settings: AlertSettings, server: SmtpServer) -> AlertSettings:
    return replace(settings, smtp_host="127.0.0.1", smtp_port=server.port)
