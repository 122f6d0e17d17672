"""The alert job end to end: findings in, real e-mails and webhook posts out, exactly once.

Lock used throughout: periods 2026-03 and 2026-Q1 of Gia Lai are reviewed at the meeting of
2026-04-06 (quý I/2026), so data entry locks on 2026-04-03; reminders start on 2026-03-29.
"""

from __future__ import annotations

from dataclasses import replace

from alerts.dispatch import resend, run_alerts
from tests.alerts.conftest import add_finding, local, resolve

AN = "an@quynhon.gialai.gov.vn"
NHUNG = "nhung@annhon.gialai.gov.vn"
THANG = "thang@stc.gialai.gov.vn"


def _body(message, kind: str) -> str:
    return message.get_body((kind,)).get_content()


def _log(wh):
    return wh.execute(
        "select alert_key, channel, status, attempts, recipient, last_error, next_attempt_at, sent_at"
        " from alerting.alert_log order by alert_key, channel").fetchall()


def _missing_items(wh):
    # Shaped as quality.rules writes them: per item, or unit-wide (stale) with no period.
    lock = {"admin_level": "commune", "lock_date": "2026-04-03", "meeting_date": "2026-04-06", "days_to_lock": 9}
    add_finding(wh, "m1", "missing_submission", "XA_QUY_NHON", "JOBS_CREATED", "2026-03", severity="warning",
                evidence=lock)
    add_finding(wh, "m2", "missing_submission", "XA_QUY_NHON", "TRAINED_LABOUR_RATE", "2026-Q1", severity="warning",
                evidence=lock)
    add_finding(wh, "m3", "stale_submission", "XA_QUY_NHON", None, None, severity="warning",
                evidence={"days_since_update": 21, "stale_after_days": 14, "missed_periods": ["2026-01", "2026-02"]})
    add_finding(wh, "n1", "partial_submission", "XA_AN_NHON", "BUDGET_REVENUE", "2026-03", severity="warning")
    # Not in the reminder: fixed already, or a period locked later (2026-04 locks on 2026-05-03).
    add_finding(wh, "fixed", "missing_submission", "XA_AN_NHON", "JOBS_CREATED", "2026-03",
                resolved="2026-03-25T09:00")
    add_finding(wh, "later", "missing_submission", "XA_AN_NHON", "JOBS_CREATED", "2026-04")


def test_reminder_lists_every_item_by_email_and_webhook_and_is_sent_once(wh, alerts_url, settings, smtp, webhook):
    _missing_items(wh)
    counts = run_alerts(local("2026-03-29T07:30"), url=alerts_url, settings=settings)
    assert counts == {"planned": 4, "sent": 4, "skipped_already_sent": 0, "dropped_fixed": 0,
                      "failed": 0, "expired": 0}

    mails = smtp.inbox.by_recipient()
    assert sorted(mails) == [AN, NHUNG]
    quy_nhon = mails[AN]
    # The focal point in force on the day (valid from 2026-01-01), not the earlier one.
    assert quy_nhon["To"].addresses[0].display_name == "Nguyễn Văn An"
    assert quy_nhon["Subject"] == "[Nhắc nhở] Phường Quy Nhơn: còn chỉ tiêu chưa báo cáo, khóa nhập số liệu ngày 03/04/2026"
    assert quy_nhon.get_content_type() == "multipart/alternative"
    text, html = _body(quy_nhon, "plain"), _body(quy_nhon, "html")
    for expected in ("JOBS_CREATED – Số lao động được giải quyết việc làm", "kỳ tháng 03/2026",
                     "TRAINED_LABOUR_RATE – Tỷ lệ lao động qua đào tạo", "kỳ quý I/2026",
                     "Lâu chưa cập nhật", "số ngày chưa cập nhật: 21", "kỳ chưa báo cáo: 2026-01, 2026-02",
                     "mẫu biểu: XA_QUY_NHON_2026-03.xlsx",
                     "mẫu biểu: XA_QUY_NHON_2026-Q1.xlsx", "sẽ khóa từ 00:00 ngày 03/04/2026 (sau 5 ngày)",
                     "giải trình tại Hội nghị giao ban"):
        assert expected in text
    assert "days_to_lock" not in text and "admin_level" not in text  # context the message already says
    for expected in ("<td>TRAINED_LABOUR_RATE</td>", "<td>Tỷ lệ lao động qua đào tạo</td>",
                     "<td>quý I/2026</td>", "<td>XA_QUY_NHON_2026-Q1.xlsx</td>", "Chưa báo cáo"):
        assert expected in html
    an_nhon = _body(mails[NHUNG], "plain")
    assert "BUDGET_REVENUE" in an_nhon and "Báo cáo chưa đầy đủ" in an_nhon
    assert "JOBS_CREATED" not in an_nhon  # resolved, and 2026-04 is not due yet

    payloads = {p["recipient"]["email"]: p for p in webhook.payloads()}
    assert sorted(payloads) == [AN, NHUNG]
    assert webhook.received[0][0]["Content-Type"] == "application/json; charset=utf-8"
    hook = payloads[AN]
    assert hook["kind"] == "reminder" and hook["recipient"]["name"] == "Nguyễn Văn An"
    assert {(i["indicator_code"], i["period_code"], i["template_file"]) for i in hook["items"]} == {
        ("JOBS_CREATED", "2026-03", "XA_QUY_NHON_2026-03.xlsx"),
        ("TRAINED_LABOUR_RATE", "2026-Q1", "XA_QUY_NHON_2026-Q1.xlsx"),
        (None, None, None)}
    assert "Số lao động được giải quyết việc làm" in hook["text"]

    # Same day again, and two days later in the same stage: nothing new goes out.
    again = run_alerts(local("2026-03-29T15:00"), url=alerts_url, settings=settings)
    later = run_alerts(local("2026-03-31T07:30"), url=alerts_url, settings=settings)
    for result in (again, later):
        assert result["planned"] == result["sent"] == 0 and result["skipped_already_sent"] == 4
    assert len(smtp.inbox.messages) == 2 and len(webhook.received) == 2
    assert {row[2] for row in _log(wh)} == {"sent"}


def test_smtp_down_is_recorded_then_retried_and_fixed_alert_dropped(wh, alerts_url, email_only, smtp_down):
    _missing_items(wh)
    first = run_alerts(local("2026-04-02T07:30"), url=alerts_url, settings=email_only)
    assert first["planned"] == 2 and first["failed"] == 2 and first["sent"] == 0
    rows = _log(wh)
    assert [(r[0], r[2], r[3]) for r in rows] == [("final_warning:XA_AN_NHON:2026-04-03", "failed", 1),
                                                 ("final_warning:XA_QUY_NHON:2026-04-03", "failed", 1)]
    assert all("ConnectionRefusedError" in r[5] for r in rows)
    assert all(r[6] == local("2026-04-02T07:35") for r in rows)  # 5 minutes back-off

    # Before the back-off has passed nothing is tried; An Nhơn then fixes its only item.
    assert run_alerts(local("2026-04-02T07:33"), url=alerts_url, settings=email_only)["failed"] == 0
    resolve(wh, "n1", at="2026-04-02T08:00")
    smtp_down.start()
    retry = run_alerts(local("2026-04-02T08:10"), url=alerts_url, settings=email_only)
    assert (retry["sent"], retry["dropped_fixed"], retry["failed"], retry["planned"]) == (1, 1, 0, 0)
    (rcpts, message), = smtp_down.inbox.messages
    assert rcpts == [AN]
    assert message["Subject"] == "[Cảnh báo cuối] Phường Quy Nhơn: khóa nhập số liệu ngày mai (03/04/2026)"
    assert "(ngày mai)" in _body(message, "plain")
    assert [(r[2], r[3]) for r in _log(wh)] == [("dropped", 1), ("sent", 2)]
    assert run_alerts(local("2026-04-02T09:00"), url=alerts_url, settings=email_only)["sent"] == 0


def test_lock_summary_tells_planning_office_who_explains_at_the_meeting(wh, alerts_url, settings, smtp, webhook):
    _missing_items(wh)
    add_finding(wh, "late", "late_submission", "XA_AN_NHON", "JOBS_CREATED", "2026-Q1", severity="warning")
    counts = run_alerts(local("2026-04-03T07:30"), url=alerts_url, settings=settings)
    assert counts["planned"] == 2 and counts["sent"] == 2
    (rcpts, message), = smtp.inbox.messages
    assert rcpts == [THANG]
    assert message["Subject"] == ("[Tổng hợp] 2 đơn vị phải giải trình tại Hội nghị giao ban ngày 06/04/2026"
                                  " (khóa số liệu 03/04/2026)")
    text = _body(message, "plain")
    assert "Hội nghị giao ban kinh tế - xã hội quý I/2026" in text
    assert "Phường Quy Nhơn (XA_QUY_NHON) – đầu mối: Nguyễn Văn An, an@quynhon.gialai.gov.vn, 0256 3822 111" in text
    assert "Phường An Nhơn (XA_AN_NHON) – đầu mối: Lê Thị Hồng Nhung" in text
    for code in ("JOBS_CREATED – Số lao động", "TRAINED_LABOUR_RATE – Tỷ lệ lao động", "BUDGET_REVENUE – Thu ngân"):
        assert code in text
    assert "Nộp sau khi đã khóa nhập liệu" in text
    assert "Lâu chưa cập nhật" not in text  # stale is a reminder matter, not a missing item
    (payload,) = webhook.payloads()
    assert payload["kind"] == "lock_summary"
    assert {i["finding_key"] for i in payload["items"]} == {"m1", "m2", "n1", "late"}
    assert run_alerts(local("2026-04-04T07:30"), url=alerts_url, settings=settings)["skipped_already_sent"] == 2
    assert len(smtp.inbox.messages) == 1


def test_inconsistency_goes_to_the_unit_at_once_and_later_only_new_findings(wh, alerts_url, settings, smtp, webhook):
    add_finding(wh, "o1", "outlier", "XA_AN_NHON", "JOBS_CREATED", "2026-02", severity="error",
                evidence={"message": "Giá trị 8.000 người gấp 12 lần trung vị các kỳ trước"})
    add_finding(wh, "r1", "rate_out_of_range", "XA_AN_NHON", "BUDGET_REVENUE", "2026-02", severity="warning",
                evidence={"value": 135.2, "max_value": 100})
    add_finding(wh, "i1", "yoy_jump", "XA_AN_NHON", "BUDGET_REVENUE", "2026-01", severity="info")
    # Outside any reminder window: inconsistencies do not wait for the schedule.
    counts = run_alerts(local("2026-03-10T16:00"), url=alerts_url, settings=settings)
    assert counts["planned"] == 2 and counts["sent"] == 2
    (rcpts, message), = smtp.inbox.messages
    assert rcpts == [NHUNG]
    assert message["Subject"] == "[Kiểm tra số liệu] Phường An Nhơn: số liệu đã nộp chưa nhất quán"
    text = _body(message, "plain")
    assert "Giá trị 8.000 người gấp 12 lần trung vị các kỳ trước" in text
    assert "Lỗi | Giá trị bất thường" in text and "Cảnh báo | Tỷ lệ nằm ngoài khoảng hợp lệ" in text
    assert "giá trị: 135.2; tối đa: 100" in text and "XA_AN_NHON_2026-02.xlsx" in text
    assert "yoy_jump" not in text and "Biến động bất thường" not in text  # info is not sent by default

    assert run_alerts(local("2026-03-10T17:00"), url=alerts_url, settings=settings)["planned"] == 0
    add_finding(wh, "u1", "unit_slip", "XA_AN_NHON", "BUDGET_REVENUE", "2026-03", first_seen="2026-03-11T06:00")
    counts = run_alerts(local("2026-03-11T07:30"), url=alerts_url, settings=settings)
    assert counts["planned"] == 2 and counts["sent"] == 2
    second = _body(smtp.inbox.messages[1][1], "plain")
    assert "Có thể nhầm đơn vị tính" in second and "Giá trị bất thường" not in second
    assert [p["items"][0]["finding_key"] for p in webhook.payloads()][1] == "u1"


def test_unit_without_focal_point_fails_visibly_and_is_kept(wh, alerts_url, settings, smtp):
    add_finding(wh, "b1", "missing_submission", "XA_BINH_DINH", "JOBS_CREATED", "2026-03")
    counts = run_alerts(local("2026-03-29T07:30"), url=alerts_url, settings=settings)
    assert counts["failed"] == 2 and counts["sent"] == 0
    errors = {row[5] for row in _log(wh)}
    assert errors == {"DeliveryError: no focal point in force on 2026-03-29 for unit XA_BINH_DINH"}
    assert smtp.inbox.messages == []


def test_webhook_error_is_retried_with_growing_back_off(wh, alerts_url, settings, smtp, webhook):
    add_finding(wh, "o1", "outlier", "XA_QUY_NHON", "JOBS_CREATED", "2026-02")
    webhook.statuses[:] = [500, 503]
    run_alerts(local("2026-03-10T08:00"), url=alerts_url, settings=settings)
    run_alerts(local("2026-03-10T08:05"), url=alerts_url, settings=settings)
    row = [r for r in _log(wh) if r[1] == "webhook"][0]
    assert (row[2], row[3], row[5]) == ("failed", 2, "DeliveryError: webhook answered HTTP 503 Service Unavailable")
    assert row[6] == local("2026-03-10T08:15")  # 5, then 10 minutes
    counts = run_alerts(local("2026-03-10T08:15"), url=alerts_url, settings=settings)
    assert counts["sent"] == 1
    assert len(webhook.received) == 3 and len(smtp.inbox.messages) == 1
    assert [r[2] for r in _log(wh)] == ["sent", "sent"]


def test_reminder_not_delivered_before_the_lock_expires(wh, alerts_url, email_only, smtp_down):
    add_finding(wh, "m1", "missing_submission", "XA_QUY_NHON", "JOBS_CREATED", "2026-03")
    assert run_alerts(local("2026-04-02T20:00"), url=alerts_url, settings=email_only)["failed"] == 1
    smtp_down.start()
    counts = run_alerts(local("2026-04-03T07:30"), url=alerts_url, settings=replace(email_only, smtp_port=smtp_down.port))
    assert counts["expired"] == 1 and counts["sent"] == 1  # the summary, to the planning office
    assert [rcpts for rcpts, _ in smtp_down.inbox.messages] == [[THANG]]


def test_resend_queues_a_sent_alert_again(wh, alerts_url, settings, smtp):
    add_finding(wh, "o1", "outlier", "XA_QUY_NHON", "JOBS_CREATED", "2026-02")
    run_alerts(local("2026-03-10T08:00"), url=alerts_url, settings=settings)
    key = _log(wh)[0][0]
    assert resend(key, local("2026-03-12T08:00"), channel="email", url=alerts_url) == 1
    counts = run_alerts(local("2026-03-12T08:00"), url=alerts_url, settings=settings)
    assert counts["sent"] == 1 and len(smtp.inbox.messages) == 2
    assert [(r[1], r[3]) for r in _log(wh)] == [("email", 2), ("webhook", 1)]


def test_cli_dry_run_prints_recipients_and_items_and_records_nothing(wh, alerts_url, monkeypatch, capsys):
    from warehouse.cli import main

    _missing_items(wh)
    monkeypatch.setenv("KPI_WAREHOUSE_URL", alerts_url)
    monkeypatch.delenv("KPI_SMTP_HOST", raising=False)
    monkeypatch.delenv("KPI_WEBHOOK_URL", raising=False)
    assert main(["alerts", "--as-of", "2026-03-29T07:30", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "--- would send by email to Nguyễn Văn An <an@quynhon.gialai.gov.vn>" in out
    assert "--- would send by email to Lê Thị Hồng Nhung <nhung@annhon.gialai.gov.vn>" in out
    assert "TRAINED_LABOUR_RATE – Tỷ lệ lao động qua đào tạo | kỳ quý I/2026" in out
    assert '"planned": 2, "sent": 2' in out
    assert _log(wh) == []
    # Without a channel configured, a real run refuses with a clear message.
    assert main(["alerts", "--as-of", "2026-03-29T07:30"]) == 2
    assert "set KPI_SMTP_HOST and/or KPI_WEBHOOK_URL" in capsys.readouterr().err


def test_a_long_vietnamese_subject_keeps_its_spaces():
    from email import message_from_bytes
    from email import policy as email_policy

    from alerts.channels import build_email
    from alerts.config import load_alert_settings
    from alerts.render import Message

    subject = ("[Nhắc nhở] Phường Quy Nhơn Đông: còn chỉ tiêu chưa báo cáo, khóa nhập số liệu"
               " ngày 01/12/2026")
    message = Message(alert_key="k", kind="reminder", recipient="a@b.vn", recipient_name="Phạm Thị Sơn",
                      subject=subject, text="nội dung", html="<p>nội dung</p>", payload={})
    mail = build_email(message, load_alert_settings({"KPI_SMTP_FROM": "kpi@stc.gialai.gov.vn"}))
    parsed = message_from_bytes(mail.as_bytes(), policy=email_policy.default)
    assert parsed["Subject"] == subject
