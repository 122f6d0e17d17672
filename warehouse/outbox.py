"""A local SMTP server that keeps what it receives as .eml files: the demo's post office.

The demo delivers its alerts over real SMTP, like production, but to this server, so that the
messages can be opened and read (``.state/demo/outbox/``) without mailing anyone.
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from pathlib import Path


class _SaveToFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        recipient = envelope.rcpt_tos[0].split("@")[0] if envelope.rcpt_tos else "unknown"
        (self.folder / f"{self.count:04d}_{recipient}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"


@contextmanager
def local_outbox(folder: Path):
    """Run an SMTP server on localhost for the duration; point the alert settings at it."""
    from aiosmtpd.controller import Controller

    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = _SaveToFolder(folder)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {name: os.environ.get(name) for name in ("KPI_SMTP_HOST", "KPI_SMTP_PORT", "KPI_SMTP_FROM")}
    os.environ.update({"KPI_SMTP_HOST": "127.0.0.1", "KPI_SMTP_PORT": str(port),
                       "KPI_SMTP_FROM": saved["KPI_SMTP_FROM"] or "kpi-warehouse@demo.gialai.gov.vn"})
    try:
        yield handler
    finally:
        controller.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
