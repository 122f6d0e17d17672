"""Delivery channels: e-mail over SMTP and a generic JSON webhook (chat tools).

A channel either delivers a message and returns an id for the log, or raises DeliveryError
(or an OSError from the network) which the dispatcher records and retries later.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import urllib.error
import urllib.request
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from alerts.config import AlertSettings
from alerts.render import Message


class DeliveryError(Exception):
    """The channel refused the message (e.g. an HTTP error status)."""


# Python 3.11 folds a long non-ASCII subject into encoded words and drops the spaces between
# them ("Đông:còn"): allow long header lines (RFC 5322's 998) so a subject is not folded.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def _message_id(alert_key: str, sender: str) -> str:
    # Deterministic, so that a receiver can discard a copy re-sent after a crash mid-delivery.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "kpi-warehouse.local"
    return f"<{hashlib.sha256(alert_key.encode()).hexdigest()[:32]}@{domain}>"


def build_email(message: Message, settings: AlertSettings) -> EmailMessage:
    """A multipart/alternative e-mail (plain text and HTML, UTF-8) for one alert."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["Subject"] = message.subject
    mail["From"] = settings.smtp_from
    mail["To"] = Address(display_name=message.recipient_name or "", addr_spec=message.recipient)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = _message_id(message.alert_key, settings.smtp_from)
    mail["X-KPI-Alert-Key"] = message.alert_key
    mail["Content-Language"] = "vi"
    mail.set_content(message.text, subtype="plain", charset="utf-8")
    mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


def send_email(message: Message, settings: AlertSettings) -> str:
    """Send one alert by SMTP; return its Message-ID."""
    if not settings.smtp_host:
        raise DeliveryError("KPI_SMTP_HOST is not set")
    mail = build_email(message, settings)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(mail)
    return mail["Message-ID"]


def send_webhook(message: Message, settings: AlertSettings) -> str:
    """POST the alert as JSON (UTF-8) to the webhook; return the alert key."""
    if not settings.webhook_url:
        raise DeliveryError("KPI_WEBHOOK_URL is not set")
    body = json.dumps(message.payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(
        settings.webhook_url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.alert_key},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.webhook_timeout_seconds) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code} {exc.reason}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered HTTP {status}")
    return message.alert_key


SENDERS = {"email": send_email, "webhook": send_webhook}
