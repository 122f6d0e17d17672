"""The escalation calendar and the settings, without a database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alerts.config import AlertConfigError, load_alert_settings
from alerts.schedule import period_label, stage_on

LOCK, MEETING = date(2026, 4, 3), date(2026, 4, 6)


def _stages(settings) -> dict[str, str | None]:
    days = [date(2026, 3, 25) + timedelta(days=n) for n in range(15)]
    return {d.isoformat()[5:]: stage_on(d, LOCK, MEETING, settings) for d in days}


def test_default_stages_around_a_lock():
    stages = _stages(load_alert_settings({}))
    assert stages == {
        "03-25": None, "03-26": None, "03-27": None, "03-28": None,
        "03-29": "reminder_5d", "03-30": "reminder_5d", "03-31": "reminder_5d", "04-01": "reminder_5d",
        "04-02": "final_warning",
        "04-03": "lock_summary", "04-04": "lock_summary", "04-05": "lock_summary", "04-06": "lock_summary",
        "04-07": None, "04-08": None,
    }


def test_several_reminders_and_an_earlier_final_warning():
    settings = load_alert_settings({"KPI_ALERT_REMINDER_DAYS": "5,8", "KPI_ALERT_FINAL_WARNING_DAYS": "2"})
    stages = _stages(settings)
    assert settings.reminder_days == (8, 5)
    assert [stages[d] for d in ("03-25", "03-26", "03-29", "03-31", "04-01", "04-02", "04-03")] == [
        None, "reminder_8d", "reminder_5d", "reminder_5d", "final_warning", "final_warning", "lock_summary"]


@pytest.mark.parametrize(("env", "named"), [
    ({"KPI_ALERT_REMINDER_DAYS": "năm"}, "KPI_ALERT_REMINDER_DAYS='năm'"),
    ({"KPI_ALERT_REMINDER_DAYS": "1"}, "KPI_ALERT_REMINDER_DAYS='1'"),
    ({"KPI_SMTP_PORT": "25a"}, "KPI_SMTP_PORT='25a'"),
    ({"KPI_ALERT_INCONSISTENCY_SEVERITIES": "error,fatal"}, "fatal"),
    ({"KPI_SMTP_STARTTLS": "maybe"}, "KPI_SMTP_STARTTLS='maybe'"),
])
def test_bad_settings_name_variable_and_value(env, named):
    with pytest.raises(AlertConfigError, match=named.replace("(", r"\(")):
        load_alert_settings(env)


def test_channels_follow_the_configured_targets():
    assert load_alert_settings({}).channels == ()
    both = load_alert_settings({"KPI_SMTP_HOST": "mail.gialai.gov.vn", "KPI_SMTP_PORT": "587",
                                "KPI_WEBHOOK_URL": "https://chat.example/hook"})
    assert both.channels == ("email", "webhook") and both.smtp_port == 587
    assert load_alert_settings({}).planning_office_unit == "SO_TAI_CHINH"


def test_period_labels_are_vietnamese():
    assert [period_label(c) for c in ("2026-03", "2026-Q1", "2026-H1", "2026-9M", "2026")] == [
        "tháng 03/2026", "quý I/2026", "6 tháng đầu năm 2026", "9 tháng năm 2026", "năm 2026"]
