"""Alert settings from the environment: schedule, recipients, SMTP and webhook.

Every value has a default except the delivery targets: e-mail is on when ``KPI_SMTP_HOST`` is
set, the webhook when ``KPI_WEBHOOK_URL`` is set. A bad value stops the run with an error that
names the variable and the value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
SEVERITIES = ("error", "warning", "info")
CHANNELS = ("email", "webhook")


class AlertConfigError(ValueError):
    """A setting has a value the alert job cannot use."""


@dataclass(frozen=True)
class AlertSettings:
    """Resolved alert configuration of one run."""

    reminder_days: tuple[int, ...] = (5,)
    final_warning_days: int = 1
    planning_office_unit: str = "SO_TAI_CHINH"
    inconsistency_severities: tuple[str, ...] = ("error", "warning")
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "kpi-warehouse@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    webhook_url: str | None = None
    webhook_timeout_seconds: float = 15.0
    retry_base_minutes: int = 5
    retry_max_minutes: int = 360

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels that have a delivery target configured."""
        chosen = []
        if self.smtp_host:
            chosen.append("email")
        if self.webhook_url:
            chosen.append("webhook")
        return tuple(chosen)


def _int(env, name: str, default: int, minimum: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise AlertConfigError(f"{name}={text!r} is not a whole number") from exc
    if value < minimum:
        raise AlertConfigError(f"{name}={text!r} must be at least {minimum}")
    return value


def _int_list(env, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        values = tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))
    except ValueError as exc:
        raise AlertConfigError(f"{name}={text!r} is not a comma-separated list of days") from exc
    if not values or min(values) < 1:
        raise AlertConfigError(f"{name}={text!r} must list days of 1 or more before the lock")
    return values


def _flag(env, name: str) -> bool:
    text = env.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise AlertConfigError(f"{name}={text!r} is not true/false")


def load_alert_settings(environ: dict[str, str] | None = None) -> AlertSettings:
    """Read the alert settings from the environment."""
    env = os.environ if environ is None else environ
    reminder_days = _int_list(env, "KPI_ALERT_REMINDER_DAYS", (5,))
    final_days = _int(env, "KPI_ALERT_FINAL_WARNING_DAYS", 1, 1)
    if min(reminder_days) <= final_days:
        raise AlertConfigError(
            f"KPI_ALERT_REMINDER_DAYS={env.get('KPI_ALERT_REMINDER_DAYS', '5')!r} must all be more "
            f"days before the lock than KPI_ALERT_FINAL_WARNING_DAYS={final_days}")
    severities_text = env.get("KPI_ALERT_INCONSISTENCY_SEVERITIES", "").strip()
    severities = tuple(s.strip() for s in severities_text.split(",") if s.strip()) or ("error", "warning")
    wrong = [s for s in severities if s not in SEVERITIES]
    if wrong:
        raise AlertConfigError(
            f"KPI_ALERT_INCONSISTENCY_SEVERITIES={severities_text!r} has {', '.join(wrong)};"
            f" use {', '.join(SEVERITIES)}")
    return AlertSettings(
        reminder_days=reminder_days,
        final_warning_days=final_days,
        planning_office_unit=env.get("KPI_PLANNING_OFFICE_UNIT", "").strip() or "SO_TAI_CHINH",
        inconsistency_severities=severities,
        smtp_host=env.get("KPI_SMTP_HOST", "").strip() or None,
        smtp_port=_int(env, "KPI_SMTP_PORT", 25, 1),
        smtp_from=env.get("KPI_SMTP_FROM", "").strip() or "kpi-warehouse@localhost",
        smtp_user=env.get("KPI_SMTP_USER") or None,
        smtp_password=env.get("KPI_SMTP_PASSWORD") or None,
        smtp_starttls=_flag(env, "KPI_SMTP_STARTTLS"),
        smtp_timeout_seconds=float(_int(env, "KPI_SMTP_TIMEOUT_SECONDS", 30, 1)),
        webhook_url=env.get("KPI_WEBHOOK_URL", "").strip() or None,
        webhook_timeout_seconds=float(_int(env, "KPI_WEBHOOK_TIMEOUT_SECONDS", 15, 1)),
        retry_base_minutes=_int(env, "KPI_ALERT_RETRY_BASE_MINUTES", 5, 1),
        retry_max_minutes=_int(env, "KPI_ALERT_RETRY_MAX_MINUTES", 360, 1),
    )
