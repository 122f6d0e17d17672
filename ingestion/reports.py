"""Intake reports: the .json and .txt beside each processed file, and reports read back from the warehouse.

The .txt is for the people who fix the file: bilingual status, then one line per problem naming
its sheet, row, column, value and rule (with the rule's meaning in Vietnamese).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from ingestion.catalog import LOCAL_TZ
from ingestion.validation import RULES_VI

_STATUS_TEXT = {
    "loaded": "ĐÃ NẠP / LOADED",
    "rejected": "BỊ TỪ CHỐI / REJECTED",
    "duplicate": "TRÙNG / DUPLICATE (already received, nothing new)",
    "failed": "LỖI XỬ LÝ / FAILED (left in the landing folder, retried next scan)",
}


def _where(problem: dict) -> str:
    parts = []
    if problem.get("sheet"):
        parts.append(f"sheet {problem['sheet']}")
    if problem.get("row") is not None:
        parts.append(f"row {problem['row']}")
    if problem.get("column"):
        parts.append(f"column {problem['column']}")
    return ", ".join(parts) or "file"


def render_text(report: dict) -> str:
    """The human-readable report: one line per problem, naming where it is and the rule."""
    def local(stamp: str | None) -> str:
        if not stamp:
            return "-"
        return f"{datetime.fromisoformat(stamp).astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S} (giờ Việt Nam)"

    errors = [p for p in report["problems"] if p["severity"] == "error"]
    warnings = [p for p in report["problems"] if p["severity"] == "warning"]
    lines = [
        f"Tệp / File: {report['file_name']}",
        f"Trạng thái / Status: {_STATUS_TEXT.get(report['status'], report['status'])}",
        f"SHA-256: {report['sha256']}",
        f"Nhận lúc / Received: {local(report.get('received_at'))}",
        f"Xử lý lúc / Processed: {local(report.get('processed_at'))}",
        f"Đơn vị / Unit: {report.get('unit_code') or '-'}    Kỳ / Period: {report.get('period_code') or '-'}",
        f"Biểu mẫu / Template: {report.get('template_version') or '-'}    "
        f"Đầu mối / Focal point: {report.get('focal_point_email') or '-'}",
    ]
    if report.get("lock_date"):
        late = " — NỘP MUỘN / LATE" if report.get("is_late") else ""
        lines.append(f"Ngày khóa / Lock date: {report['lock_date']} (giao ban {report.get('meeting_date')}){late}")
    if report["status"] == "loaded":
        lines.append(f"Số dòng đã nạp / Rows loaded: {report['rows_loaded']}")
    if report.get("duplicate_of"):
        original = report["duplicate_of"]
        lines.append(f"Trùng với / Same content as: {original.get('file_name')} (file_id "
                     f"{original.get('file_id')}, {original.get('status')})")
    for title, items in (("Lỗi / Errors", errors), ("Cảnh báo / Warnings", warnings)):
        if not items:
            continue
        lines += ["", f"{title} ({len(items)}):"]
        for number, p in enumerate(items, start=1):
            value = "" if p.get("value") is None else f" (giá trị / value {p['value']!r})"
            vi = RULES_VI.get(p["rule"])
            rule = f"{p['rule']} – {vi}" if vi else p["rule"]
            lines.append(f"  {number}. {_where(p)}: {p['message']}{value} [{rule}]")
    if report["status"] == "rejected":
        lines += ["", "Không có số liệu nào của tệp này được nạp: sửa các lỗi trên rồi gửi lại tệp.",
                  "Nothing from this file was loaded: fix the errors above and send the file again."]
    return "\n".join(lines) + "\n"


def write_reports(report: dict, beside: Path) -> None:
    """Write ``<name>.report.json`` and ``<name>.report.txt`` next to a stored file."""
    beside.with_name(beside.name + ".report.json").write_text(
        json.dumps(report, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    beside.with_name(beside.name + ".report.txt").write_text(render_text(report), encoding="utf-8")


def stored_reports(conn: psycopg.Connection, key: str) -> list[dict]:
    """Reports of the files a key names: a file path (by content), a SHA-256 (or a prefix of 8+), a name."""
    path = Path(key)
    if path.is_file():
        where, param = "f.sha256 = %s", hashlib.sha256(path.read_bytes()).hexdigest()
    elif len(key) >= 8 and all(c in "0123456789abcdef" for c in key.lower()):
        where, param = "f.sha256 like %s", key.lower() + "%"
    else:
        where, param = "f.file_name = %s", key
    rows = conn.cursor(row_factory=dict_row).execute(
        f"""
        select f.file_name, f.sha256, f.status, f.file_format, f.size_bytes, f.received_at, f.processed_at,
               f.unit_code, f.period_code, f.template_version, f.focal_point_email, l.lock_date,
               l.meeting_date, f.is_late, f.row_count as rows_loaded, f.file_id, f.stored_path,
               null as duplicate_of, f.report as problems
        from raw.submission_file as f
        left join reference.reporting_unit as u on u.unit_code = f.unit_code
        left join reference.period_lock as l
            on l.province_key = u.province_key and l.period_code = f.period_code
        where {where}
        order by f.received_at, f.file_id
        """,  # the where clause is one of the three above
        (param,),
    ).fetchall()
    for row in rows:
        for key in ("received_at", "processed_at", "lock_date", "meeting_date"):
            row[key] = row[key].isoformat() if row[key] else None
    return rows
