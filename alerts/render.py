"""The words of an alert: subject, plain text, HTML and the webhook's JSON, in Vietnamese."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date

RULE_LABELS = {
    "missing_submission": "Chưa báo cáo",
    "partial_submission": "Báo cáo chưa đầy đủ",
    "stale_submission": "Lâu chưa cập nhật",
    "late_submission": "Nộp sau khi đã khóa nhập liệu",
    "inconsistent_rollup": "Số tổng hợp không khớp với tổng các đơn vị",
    "decreasing_cumulative": "Số lũy kế giảm so với kỳ trước",
    "rate_out_of_range": "Tỷ lệ nằm ngoài khoảng hợp lệ",
    "outlier": "Giá trị bất thường",
    "unit_slip": "Có thể nhầm đơn vị tính",
    "yoy_jump": "Biến động bất thường so với cùng kỳ",
}
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
SIGNATURE = "Hệ thống theo dõi chỉ tiêu kinh tế – xã hội (thư tự động, vui lòng không trả lời)."


@dataclass(frozen=True)
class Message:
    """One rendered alert, ready for any channel."""

    alert_key: str
    kind: str
    recipient_name: str | None
    recipient: str
    subject: str
    text: str
    html: str
    payload: dict


def day(value: date | str | None) -> str:
    """dd/mm/yyyy, as Vietnamese documents write dates."""
    if value is None:
        return ""
    value = date.fromisoformat(value) if isinstance(value, str) else value
    return value.strftime("%d/%m/%Y")


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)


# Evidence keys said in Vietnamese; keys the message already states (lock, meeting) are left out.
EVIDENCE_LABELS = {
    "value": "giá trị", "min_value": "tối thiểu", "max_value": "tối đa",
    "previous_period": "kỳ trước", "previous_value": "giá trị kỳ trước", "drop": "giảm",
    "reported_total": "số tổng hợp báo cáo", "sum_of_units": "tổng các đơn vị", "difference": "chênh lệch",
    "units_reported": "số đơn vị đã báo cáo", "units_expected": "số đơn vị phải báo cáo",
    "history_median": "trung vị các kỳ trước", "likely_value": "giá trị có thể đúng",
    "last_year_period": "cùng kỳ năm trước", "last_year_value": "giá trị cùng kỳ",
    "last_update_at": "cập nhật gần nhất", "days_since_update": "số ngày chưa cập nhật",
    "missed_periods": "kỳ chưa báo cáo", "late_values": "số giá trị nộp muộn",
    "first_late_received_at": "nộp muộn lúc", "files": "tệp", "stale_after_days": "ngưỡng (ngày)",
    "history_points": "số kỳ so sánh", "ratio": "tỷ lệ so với cùng kỳ", "ratio_to_median": "tỷ lệ so với trung vị",
}
# Left out: what the message already says (lock, meeting) and statistics only analysts read.
CONTEXT_KEYS = frozenset({"admin_level", "meeting_date", "lock_date", "lock_passed", "days_to_lock",
                          "history_mad", "z_history", "peers", "z_peers", "likely_factor", "value_kind",
                          "tolerance", "relative_difference", "replaces_in_time_values", "change_points"})


def _value(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def evidence_text(evidence: dict) -> str:
    """The finding's evidence in one line: its message if it has one, else label: value pairs."""
    if not evidence:
        return ""
    if isinstance(evidence.get("message"), str):
        return evidence["message"]
    return "; ".join(f"{EVIDENCE_LABELS.get(key, key)}: {_value(value)}"
                     for key, value in evidence.items() if key not in CONTEXT_KEYS and value is not None)


def _indicator(item: dict) -> str:
    code = item.get("indicator_code")
    if not code:
        # Findings about a whole period (late) or the whole unit (stale) name no indicator.
        return "Cả kỳ báo cáo" if item.get("period_code") else "Tất cả chỉ tiêu của đơn vị"
    return f"{code} – {item['indicator_name']}" if item.get("indicator_name") else code


def _item_line(item: dict, inconsistency: bool) -> str:
    parts = [_indicator(item)]
    if item.get("period_code"):
        parts.append(f"kỳ {item['period_label'] or item['period_code']}")
    if inconsistency:
        parts.append(SEVERITY_LABELS.get(item["severity"], item["severity"]))
    parts.append(rule_label(item["rule"]))
    detail = evidence_text(item.get("evidence") or {})
    if detail:
        parts.append(detail)
    if item.get("template_file"):
        parts.append(f"mẫu biểu: {item['template_file']}")
    return "  - " + " | ".join(parts)


COLUMNS = ["Mã chỉ tiêu", "Tên chỉ tiêu", "Kỳ báo cáo", "Tình trạng", "Chi tiết", "Mẫu biểu"]


def _item_row(item: dict, inconsistency: bool) -> str:
    status = rule_label(item["rule"])
    if inconsistency:
        status = f"{SEVERITY_LABELS.get(item['severity'], item['severity'])}: {status}"
    cells = [item.get("indicator_code") or "—", item.get("indicator_name") or _indicator(item),
             item.get("period_label") or item.get("period_code") or "", status,
             evidence_text(item.get("evidence") or {}), item.get("template_file") or ""]
    return "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"


def _table(items: list[dict], inconsistency: bool) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    rows = "".join(_item_row(i, inconsistency) for i in items)
    return (f'<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def _unit_texts(kind: str, details: dict, lock_date, meeting_date, days_left: int) -> tuple[str, list[str], str]:
    """Subject, opening paragraphs and closing request for an alert to one unit."""
    unit = details.get("unit_name") or ""
    meeting = details.get("meeting_name") or "Hội nghị giao ban kinh tế – xã hội"
    if kind == "inconsistency":
        return (f"[Kiểm tra số liệu] {unit}: số liệu đã nộp chưa nhất quán",
                ["Hệ thống kiểm tra chất lượng số liệu phát hiện các vấn đề sau trong số liệu đơn vị đã nộp:"],
                "Đề nghị đơn vị kiểm tra, sửa và nộp lại mẫu biểu tương ứng (hoặc ghi chú giải thích nếu số liệu đúng).")
    when = "ngày mai" if days_left == 1 else f"sau {days_left} ngày"
    opening = [f"Chức năng nhập số liệu cho {meeting} (họp ngày {day(meeting_date)}) sẽ khóa từ 00:00 ngày "
               f"{day(lock_date)} ({when}).",
               "Đến thời điểm này, đơn vị còn các chỉ tiêu sau chưa có đủ thông tin:"]
    closing = ("Đề nghị đơn vị cập nhật số liệu theo mẫu biểu nêu trên trước thời hạn khóa. Thủ trưởng đơn vị có "
               "chỉ tiêu không có thông tin trong báo cáo phải giải trình tại Hội nghị giao ban.")
    if kind == "final_warning":
        return f"[Cảnh báo cuối] {unit}: khóa nhập số liệu {when} ({day(lock_date)})", opening, closing
    return f"[Nhắc nhở] {unit}: còn chỉ tiêu chưa báo cáo, khóa nhập số liệu ngày {day(lock_date)}", opening, closing


def render(*, alert_key: str, kind: str, recipient_name: str | None, recipient: str, items: list[dict],
           details: dict, lock_date, meeting_date, today: date) -> Message:
    """Write the alert in Vietnamese, listing every item, as plain text, HTML and JSON."""
    greeting = f"Kính gửi {recipient_name or recipient}" + (f" – đầu mối của {details['unit_name']}"
                                                            if details.get("unit_name") else "") + ","
    if kind == "lock_summary":
        return _render_summary(alert_key, recipient_name, recipient, items, details, lock_date, meeting_date, greeting)
    lock = date.fromisoformat(lock_date) if isinstance(lock_date, str) else lock_date
    days_left = (lock - today).days if lock else 0
    subject, opening, closing = _unit_texts(kind, details, lock_date, meeting_date, days_left)
    inconsistency = kind == "inconsistency"
    text = "\n".join([greeting, "", *opening, "", *(_item_line(i, inconsistency) for i in items), "",
                      closing, "", SIGNATURE])
    body = (f"<p>{html.escape(greeting)}</p>" + "".join(f"<p>{html.escape(p)}</p>" for p in opening)
            + _table(items, inconsistency) + f"<p>{html.escape(closing)}</p><p><i>{html.escape(SIGNATURE)}</i></p>")
    return _message(alert_key, kind, recipient_name, recipient, subject, text, body, items, details,
                    lock_date, meeting_date)


def _render_summary(alert_key, recipient_name, recipient, items, details, lock_date, meeting_date, greeting):
    meeting = details.get("meeting_name") or "Hội nghị giao ban kinh tế – xã hội"
    units: dict[str, list[dict]] = {}
    for item in items:
        units.setdefault(item["unit_code"], []).append(item)
    subject = (f"[Tổng hợp] {len(units)} đơn vị phải giải trình tại Hội nghị giao ban ngày {day(meeting_date)}"
               f" (khóa số liệu {day(lock_date)})")
    opening = (f"Đến thời điểm khóa nhập số liệu (00:00 ngày {day(lock_date)}), {len(units)} đơn vị sau còn chỉ tiêu "
               f"không có thông tin trong báo cáo phục vụ {meeting} (họp ngày {day(meeting_date)}). Thủ trưởng "
               "các đơn vị này phải giải trình tại Hội nghị giao ban; các chỉ tiêu chưa đủ thông tin không được "
               "tổng hợp.")
    lines, blocks = [greeting, "", opening], [f"<p>{html.escape(greeting)}</p><p>{html.escape(opening)}</p>"]
    for unit_code, unit_items in units.items():
        focal = unit_items[0].get("focal_point") or {}
        contact = ", ".join(str(v) for v in (focal.get("full_name"), focal.get("email"), focal.get("phone")) if v)
        heading = f"{unit_items[0].get('unit_name') or unit_code} ({unit_code}) – đầu mối: {contact or 'chưa có'}"
        lines += ["", heading, *(_item_line(i, False) for i in unit_items)]
        blocks.append(f"<h3>{html.escape(heading)}</h3>" + _table(unit_items, False))
    lines += ["", SIGNATURE]
    blocks.append(f"<p><i>{html.escape(SIGNATURE)}</i></p>")
    return _message(alert_key, "lock_summary", recipient_name, recipient, subject, "\n".join(lines),
                    "".join(blocks), items, details, lock_date, meeting_date)


def _message(alert_key, kind, recipient_name, recipient, subject, text, body, items, details,
             lock_date, meeting_date) -> Message:
    html_doc = (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(subject)}</title>'
                f"</head><body>{body}</body></html>")
    payload = {
        "alert_key": alert_key,
        "kind": kind,
        "subject": subject,
        "text": f"{subject}\n\n{text}",
        "recipient": {"name": recipient_name, "email": recipient, "phone": details.get("recipient_phone")},
        "unit_name": details.get("unit_name"),
        "lock_date": str(lock_date) if lock_date else None,
        "meeting_date": str(meeting_date) if meeting_date else None,
        "items": [{k: v for k, v in item.items()} for item in items],
    }
    return Message(alert_key, kind, recipient_name, recipient, subject, text, html_doc, payload)
