"""XLSX templates a unit fills for one reporting period, pre-filled from its assignment and targets.

Layout (template version ``TEMPLATE_VERSION``): a visible sheet ``Báo cáo`` with a title block,
the header on row ``HEADER_ROW`` and one row per assigned indicator (code, Vietnamese name, unit
of measure, period and annual targets, then the two input columns: actual value and note); a
hidden sheet ``_meta`` holds the template version, unit and period the reader trusts. Only the
input cells are unlocked; they carry data validation (numbers within the indicator's bounds).

openpyxl writes templates; the intake reads them with python-calamine (``ingestion.readers``).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from warehouse.periods import InvalidPeriod, Period, parse_period

TEMPLATE_VERSION = "kpi-xlsx-v1"
SUPPORTED_TEMPLATE_VERSIONS = frozenset({TEMPLATE_VERSION})
SUBMISSION_PERIOD_TYPES = ("month", "quarter")

DATA_SHEET = "Báo cáo"
META_SHEET = "_meta"
HEADER = (
    "STT",
    "Mã chỉ tiêu",
    "Tên chỉ tiêu",
    "Đơn vị tính",
    "Kế hoạch kỳ",
    "Kế hoạch năm",
    "Thực hiện",
    "Ghi chú / Giải trình",
)
HEADER_ROW = 7
FIRST_DATA_ROW = HEADER_ROW + 1
CODE_COLUMN, VALUE_COLUMN, NOTE_COLUMN = 2, 7, 8  # B, G, H (1-based)
NOTE_MAX_LENGTH = 2000
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def column_letter(index: int) -> str:
    """Excel letter of a 1-based column index (A..Z is all a template uses)."""
    return chr(ord("A") + index - 1)


def column_label(index: int) -> str:
    """How a report names a template column: its letter and header, e.g. ``G (Thực hiện)``."""
    return f"{column_letter(index)} ({HEADER[index - 1]})"


def period_label(period: Period) -> str:
    """Vietnamese name of a submission period: ``Tháng 01/2026``, ``Quý I/2026``."""
    if period.period_type == "month":
        return f"Tháng {period.first_month:02d}/{period.year}"
    if period.period_type == "quarter":
        return f"Quý {_ROMAN[period.quarter]}/{period.year}"
    return period.code


def submission_period(code: str) -> Period:
    """Parse a period a unit submits for: a month or a quarter; raise InvalidPeriod otherwise."""
    period = parse_period(code)
    if period.period_type not in SUBMISSION_PERIOD_TYPES:
        raise InvalidPeriod(f"period {code!r} is not a month (YYYY-MM) or a quarter (YYYY-Qn)")
    return period


@dataclass(frozen=True)
class TemplateRow:
    indicator_code: str
    name_vi: str
    unit_of_measure: str
    period_target: Decimal | None
    annual_target: Decimal
    min_value: Decimal | None
    max_value: Decimal | None


@dataclass(frozen=True)
class TemplateData:
    unit_code: str
    unit_name: str
    period: Period
    lock_date: date | None
    meeting_date: date | None
    focal_point: str | None
    rows: list[TemplateRow]


def template_data(conn: psycopg.Connection, unit_code: str, period_code: str) -> TemplateData:
    """Read what a template shows: the unit's assigned indicators and targets for the period."""
    period = submission_period(period_code)
    unit = conn.execute(
        "select unit_name, province_key from reference.reporting_unit where unit_code = %s", (unit_code,)
    ).fetchone()
    if unit is None:
        raise ValueError(f"unit {unit_code!r} is not in reference.reporting_unit")
    rows = [
        TemplateRow(*row)
        for row in conn.execute(
            """
            select a.indicator_code, i.name_vi, i.unit_of_measure,
                   (select t.target_value from reference.target as t
                     where t.unit_code = a.unit_code and t.indicator_code = a.indicator_code
                       and t.period_code = %(period)s
                     order by t.decided_on desc limit 1),
                   a.annual_target, i.min_value, i.max_value
            from reference.assignment as a
            join reference.indicator as i using (indicator_code)
            where a.unit_code = %(unit)s and a.plan_year = %(year)s
            order by i.sector, a.indicator_code
            """,
            {"unit": unit_code, "period": period.code, "year": period.year},
        )
    ]
    if not rows:
        raise ValueError(f"unit {unit_code} has no indicator assigned for {period.year}")
    lock = conn.execute(
        "select meeting_date, lock_date from reference.period_lock where province_key = %s and period_code = %s",
        (unit[1], period.code),
    ).fetchone()
    focal = conn.execute(
        "select full_name || ' <' || email || '>' from reference.focal_point"
        " where unit_code = %s order by valid_from desc limit 1",
        (unit_code,),
    ).fetchone()
    return TemplateData(unit_code, unit[0], period, lock[1] if lock else None, lock[0] if lock else None,
                        focal[0] if focal else None, rows)


def _validation_for(row: TemplateRow):
    from openpyxl.worksheet.datavalidation import DataValidation

    low, high = row.min_value, row.max_value
    if low is not None and high is not None:
        operator, formulas, rule = "between", (str(low), str(high)), f"từ {low} đến {high}"
    elif low is not None:
        operator, formulas, rule = "greaterThanOrEqual", (str(low),), f"không nhỏ hơn {low}"
    elif high is not None:
        operator, formulas, rule = "lessThanOrEqual", (str(high),), f"không lớn hơn {high}"
    else:
        operator, formulas, rule = "between", ("-1E+15", "1E+15"), "là một số"
    validation = DataValidation(
        type="decimal", operator=operator, formula1=formulas[0],
        formula2=formulas[1] if len(formulas) > 1 else None, allow_blank=True,
        showErrorMessage=True, errorTitle="Giá trị không hợp lệ",
        error=f"Giá trị phải {rule} (đơn vị: {row.unit_of_measure}).",
        showInputMessage=True, promptTitle="Thực hiện", prompt=f"Nhập số, {rule}.",
    )
    return (operator, formulas, row.unit_of_measure), validation


def build_template(conn: psycopg.Connection, unit_code: str, period_code: str):
    """Build the XLSX template of a unit for a reporting period (an openpyxl Workbook)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    data = template_data(conn, unit_code, period_code)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    sheet["A1"] = "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU KINH TẾ - XÃ HỘI"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = f"Đơn vị: {data.unit_name} (mã {data.unit_code})"
    sheet["A3"] = f"Kỳ báo cáo: {period_label(data.period)} (mã kỳ {data.period.code})"
    if data.lock_date:
        sheet["A4"] = (f"Khóa nhập số liệu từ ngày {data.lock_date:%d/%m/%Y} (giao ban ngày "
                       f"{data.meeting_date:%d/%m/%Y}); số liệu gửi sau ngày khóa được lưu là bản nộp muộn.")
    if data.focal_point:
        sheet["A5"] = f"Đầu mối: {data.focal_point}"
    sheet["A6"] = ("Nhập số liệu vào cột G (Thực hiện), giải trình vào cột H. Số thập phân dùng dấu phẩy "
                   "(1.784,4); tỷ lệ % nhập số phần trăm (7,27).")
    sheet["A6"].font = Font(italic=True)
    for index, title in enumerate(HEADER, start=1):
        cell = sheet.cell(HEADER_ROW, index, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    unlocked = Protection(locked=False)
    validations: dict[tuple, DataValidation] = {}
    for offset, row in enumerate(data.rows):
        r = FIRST_DATA_ROW + offset
        values = (offset + 1, row.indicator_code, row.name_vi, row.unit_of_measure,
                  row.period_target, row.annual_target)
        for index, value in enumerate(values, start=1):
            sheet.cell(r, index, value)
        for index in (VALUE_COLUMN, NOTE_COLUMN):
            cell = sheet.cell(r, index)
            cell.fill = input_fill
            cell.protection = unlocked
        key, validation = _validation_for(row)
        validations.setdefault(key, validation).add(f"{column_letter(VALUE_COLUMN)}{r}")
    last = FIRST_DATA_ROW + len(data.rows) - 1
    note_validation = DataValidation(type="textLength", operator="lessThanOrEqual",
                                     formula1=str(NOTE_MAX_LENGTH), allow_blank=True, showErrorMessage=True,
                                     error=f"Ghi chú tối đa {NOTE_MAX_LENGTH} ký tự.")
    note_validation.add(f"{column_letter(NOTE_COLUMN)}{FIRST_DATA_ROW}:{column_letter(NOTE_COLUMN)}{last}")
    for validation in [*validations.values(), note_validation]:
        sheet.add_data_validation(validation)
    for letter, width in zip("ABCDEFGH", (5, 30, 55, 12, 13, 13, 14, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    # Codes, names and targets come from the reference data: only the input cells are editable.
    sheet.protection.sheet = True

    meta = workbook.create_sheet(META_SHEET)
    for key, value in (
        ("template_version", TEMPLATE_VERSION),
        ("unit_code", data.unit_code),
        ("unit_name", data.unit_name),
        ("period_code", data.period.code),
        ("plan_year", data.period.year),
        ("data_sheet", DATA_SHEET),
        ("header_row", HEADER_ROW),
        ("lock_date", data.lock_date.isoformat() if data.lock_date else ""),
    ):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    return workbook


_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def save_workbook(workbook, path: Path, stamp: date) -> Path:
    """Save with fixed timestamps (document properties, zip entries): same content, same bytes.

    openpyxl stamps every save with the current time; a template regenerated or refilled with
    the same figures would otherwise get a new SHA-256 and load as a new version.
    """
    buffer = io.BytesIO()
    workbook.save(buffer)
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    iso = f"{stamp:%Y-%m-%d}T00:00:00Z".encode()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(lambda m: m.group(1) + iso + m.group(3), data)
            target.writestr(zipfile.ZipInfo(item.filename, date_time=when), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return path


def template_file_name(unit_code: str, period_code: str) -> str:
    return f"{unit_code}_{period_code}.xlsx"


def write_template(conn: psycopg.Connection, unit_code: str, period_code: str, path: Path, *,
                   values: dict[str, object] | None = None, notes: dict[str, str] | None = None) -> Path:
    """Write a unit's template; ``path`` is a .xlsx file, or a folder that gets ``UNIT_PERIOD.xlsx``.

    With ``values``/``notes`` the template is written already filled (as ``fill_template`` would
    fill it), in one save instead of write, load and save again.
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() != ".xlsx":
        path = path / template_file_name(unit_code, period_code)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = build_template(conn, unit_code, period_code)
    if values or notes:
        fill_workbook(workbook, values or {}, notes)
    return save_workbook(workbook, path, submission_period(period_code).calendar_start)


def _data_rows(sheet) -> dict[str, int]:
    rows = {}
    for r in range(FIRST_DATA_ROW, sheet.max_row + 1):
        code = sheet.cell(r, CODE_COLUMN).value
        if isinstance(code, str) and code.strip():
            rows.setdefault(code.strip(), r)
    return rows


def fill_workbook(workbook, values: dict[str, object], notes: dict[str, str] | None = None) -> None:
    """Type values and notes into an open template (see ``fill_template``)."""
    sheet = workbook[DATA_SHEET]
    rows = _data_rows(sheet)
    notes = notes or {}
    next_row = max([FIRST_DATA_ROW - 1, *rows.values()]) + 1
    for code in [*values, *(c for c in notes if c not in values)]:
        if code not in rows:
            sheet.cell(next_row, 1, next_row - FIRST_DATA_ROW + 1)
            sheet.cell(next_row, CODE_COLUMN, code)
            rows[code] = next_row
            next_row += 1
        if code in values:
            sheet.cell(rows[code], VALUE_COLUMN, values[code])
        if code in notes:
            sheet.cell(rows[code], NOTE_COLUMN, notes[code])


def fill_template(path: Path, values: dict[str, object], notes: dict[str, str] | None = None,
                  out_path: Path | None = None) -> Path:
    """Type actual values (numbers or text such as ``"1.784,4"``) and notes into a template.

    As a unit would: a code the template does not list gets a new row at the bottom (so a file
    can carry an unknown or unassigned indicator); ``None`` clears a cell. Writes ``out_path``
    (default: over ``path``) and returns it.
    """
    from openpyxl import load_workbook

    path = Path(path)
    workbook = load_workbook(path)
    fill_workbook(workbook, values, notes)
    out = Path(out_path) if out_path else path
    out.parent.mkdir(parents=True, exist_ok=True)
    return save_workbook(workbook, out, _template_period_start(workbook))


def _template_period_start(workbook) -> date:
    if META_SHEET in workbook.sheetnames:
        for key, value, *_ in workbook[META_SHEET].iter_rows(values_only=True):
            if key == "period_code":
                try:
                    return submission_period(str(value)).calendar_start
                except InvalidPeriod:
                    break
    return date(2000, 1, 1)
