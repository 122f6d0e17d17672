"""Check a read file against the reference data and list every problem, not just the first.

Errors reject the whole file (nothing of it is loaded). Warnings are reported and the file
still loads; the one that matters is ``after_lock``: a file received on or after the lock date
of its period is loaded as a *late* version, which the value in force
(``raw.current_submission_value``) ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ingestion.catalog import LOCAL_TZ, Catalog, Indicator, Lock
from ingestion.numbers import PLAIN_NUMBER, NumberError, parse_plain, read_cell
from ingestion.readers import SourceFile, SourceRow
from ingestion.templates import META_SHEET, submission_period
from warehouse.periods import InvalidPeriod, Period
from warehouse.problems import Problem

# What each rule means, in the words of the people who fix the file (used in the .txt report).
RULES_VI = {
    "empty": "Tệp rỗng, không có số liệu",
    "encoding": "Tệp không đọc được bảng mã (cần UTF-8)",
    "unreadable": "Tệp không đọc được",
    "unsupported_format": "Định dạng tệp không được chấp nhận (chỉ .xlsx hoặc .csv)",
    "header": "Dòng tiêu đề sai hoặc thiếu",
    "columns": "Số cột của dòng không đúng",
    "template_version": "Thiếu hoặc sai phiên bản biểu mẫu",
    "required": "Thiếu thông tin bắt buộc",
    "unit_unknown": "Mã đơn vị không có trong danh mục",
    "indicator_unknown": "Mã chỉ tiêu không có trong danh mục",
    "not_assigned": "Chỉ tiêu không được giao cho đơn vị trong năm",
    "period_malformed": "Kỳ báo cáo sai định dạng (YYYY-MM hoặc YYYY-Qn)",
    "outside_assignment_year": "Kỳ báo cáo ngoài năm được giao chỉ tiêu",
    "mixed_unit": "Một tệp chỉ được chứa một đơn vị",
    "mixed_period": "Một tệp chỉ được chứa một kỳ báo cáo",
    "duplicate_row": "Chỉ tiêu bị lặp",
    "value_missing": "Thiếu giá trị",
    "value_not_number": "Giá trị không phải là số",
    "value_ambiguous": "Số viết không rõ nghĩa (dấu chấm/phẩy)",
    "negative": "Giá trị âm không hợp lệ",
    "percentage_range": "Tỷ lệ phần trăm ngoài khoảng 0-100",
    "out_of_range": "Giá trị ngoài khoảng cho phép",
    "after_lock": "Gửi sau ngày khóa số liệu: lưu là bản nộp muộn",
    "note_without_value": "Có ghi chú nhưng không có giá trị",
    "load_failed": "Lỗi khi nạp vào kho dữ liệu",
}


@dataclass(slots=True)
class Value:
    """A checked value, ready to load."""

    source_row: int
    indicator_code: str
    value: Decimal
    note: str | None
    typed_text: str | None  # the text as typed, when a spreadsheet cell held text


@dataclass
class CheckedFile:
    source: SourceFile
    received_at: datetime
    unit_code: str | None = None
    period_code: str | None = None
    lock: Lock | None = None
    is_late: bool | None = None
    focal_point_email: str | None = None
    values: list[Value] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors


class _Checker:
    def __init__(self, source: SourceFile, catalog: Catalog, received_at: datetime):
        self.source = source
        self.catalog = catalog
        self.result = CheckedFile(source, received_at, errors=list(source.errors),
                                  warnings=list(source.warnings))

    def problem(self, rule: str, message: str, row: SourceRow | int | None, field_name: str | None,
                value: object) -> None:
        number = row.row if isinstance(row, SourceRow) else row
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet number 105.0 is shown as typed: 105
        sheet, column = self.source.sheet, self.source.columns.get(field_name) if field_name else None
        if self.source.file_format == "xlsx" and field_name in ("unit_code", "period_code"):
            sheet, number, column = self.source.meta_cells.get(field_name, (META_SHEET, None, None))
        self.result.errors.append(Problem(self.source.name, number, column,
                                          None if value is None else str(value), rule, message, sheet))

    # -- the file's unit and period ---------------------------------------------------------------
    def unit_and_period(self) -> tuple[str | None, Period | None]:
        """Check the unit and period the file is for (once each), and that rows agree on them."""
        source, rows = self.source, self.source.rows
        first = rows[0] if rows else None
        if source.file_format == "csv":
            if first is None:
                return None, None
            unit, period_code = first.unit_code, first.period_code
            for row in rows[1:]:
                if row.unit_code != unit:
                    self.problem("mixed_unit", f"unit {row.unit_code!r} differs from unit {unit!r} of row "
                                 f"{first.row}: one file holds one unit", row, "unit_code", row.unit_code)
                if row.period_code != period_code:
                    self.problem("mixed_period", f"period {row.period_code!r} differs from period "
                                 f"{period_code!r} of row {first.row}: one file holds one period",
                                 row, "period_code", row.period_code)
        elif source.meta_cells:
            unit, period_code = source.unit_code or "", source.period_code or ""
        else:
            return None, None  # no metadata sheet: reported by the reader; rows are still checked
        known_unit = None
        if not unit:
            self.problem("required", "the unit code is missing", first, "unit_code", unit)
        elif unit not in self.catalog.units:
            self.problem("unit_unknown", f"unit {unit!r} is not a reporting unit of the warehouse",
                         first, "unit_code", unit)
        else:
            known_unit = unit
        period = None
        try:
            period = submission_period(period_code)
        except InvalidPeriod as exc:
            self.problem("period_malformed", str(exc), first, "period_code", period_code)
        if known_unit and period and (known_unit, period.year) not in self.catalog.assigned:
            years = sorted(year for unit_code, year in self.catalog.assigned if unit_code == known_unit)
            self.problem("outside_assignment_year",
                         f"period {period.code} is outside the years unit {known_unit} has indicators "
                         f"assigned for ({', '.join(map(str, years)) or 'none'})",
                         first, "period_code", period_code)
        self.result.unit_code = unit or None
        self.result.period_code = period.code if period else (period_code or None)
        return known_unit, period

    # -- rows -------------------------------------------------------------------------------------
    def value_of(self, row: SourceRow, indicator: Indicator | None) -> Decimal | None:
        raw = row.value
        try:
            if self.source.file_format == "csv":
                if raw == "":
                    self.problem("value_missing", "the value is empty", row, "value", raw)
                    return None
                return parse_plain(raw)
            number = read_cell(raw)
        except NumberError as exc:
            self.problem(exc.rule, exc.message, row, "value", raw)
            return None
        if number.percent_sign and indicator is not None and not indicator.in_percent:
            self.problem("value_not_number", f"has a % sign but {indicator.indicator_code} is measured "
                         f"in {indicator.unit_of_measure}", row, "value", raw)
            return None
        return number.value

    def check_range(self, row: SourceRow, indicator: Indicator, value: Decimal) -> bool:
        """Keep a value within its indicator's bounds (a percentage within 0-100)."""
        low, high = indicator.low, indicator.high
        if (low is None or value >= low) and (high is None or value <= high):
            return True
        name = f"{indicator.indicator_code} ({indicator.unit_of_measure})"
        if indicator.is_percentage:
            self.problem("percentage_range", f"{name} is a percentage: it must be between {low} and {high}",
                         row, "value", row.value)
        elif high is not None and value > high:
            self.problem("out_of_range", f"{name} cannot be above {high}", row, "value", row.value)
        elif value < 0 <= low:
            self.problem("negative", f"{name} cannot be negative", row, "value", row.value)
        else:
            self.problem("out_of_range", f"{name} cannot be below {low}", row, "value", row.value)
        return False

    def code_problem(self, row: SourceRow, code: str, known: bool, unit: str | None,
                     period: Period | None) -> None:
        if not code:
            self.problem("required", "the indicator code is missing", row, "indicator_code", code)
        elif not known:
            self.problem("indicator_unknown", f"indicator {code!r} is not in the indicator catalogue",
                         row, "indicator_code", code)
        else:
            self.problem("not_assigned", f"indicator {code} is not assigned to unit {unit} for "
                         f"{period.year}", row, "indicator_code", code)

    def rows(self, unit: str | None, period: Period | None) -> None:
        """Check every row; the common case (a good row) takes only set and dict look-ups."""
        indicators = self.catalog.indicators
        assigned = self.catalog.assigned.get((unit, period.year)) if unit and period else None
        csv_values = self.source.file_format == "csv"
        seen: dict[tuple[str, str, str], int] = {}
        append = self.result.values.append
        for row in self.source.rows:
            code = row.indicator_code
            indicator = indicators.get(code)
            if indicator is None or (assigned is not None and code not in assigned):
                self.code_problem(row, code, indicator is not None, unit, period)
            key = (row.unit_code, row.period_code, code)
            if key in seen:
                if code:
                    self.problem("duplicate_row", f"indicator {code} is repeated: first given on row "
                                 f"{seen[key]}", row, "indicator_code", code)
            else:
                seen[key] = row.row
            raw = row.value
            if csv_values and PLAIN_NUMBER.fullmatch(raw):
                value = Decimal(raw)
            else:
                value = self.value_of(row, indicator)
                if value is None:
                    continue
            if indicator is not None and not self.check_range(row, indicator, value):
                continue
            typed = raw if not csv_values and isinstance(raw, str) else None
            append(Value(row.row, code, value, row.note or None, typed))

    # -- lock and lineage -------------------------------------------------------------------------
    def lock_and_lineage(self, unit: str | None, period: Period | None) -> None:
        result = self.result
        if not unit:
            return
        local_day = result.received_at.astimezone(LOCAL_TZ).date()
        result.focal_point_email = self.catalog.focal_point_email(unit, local_day)
        if not period:
            return
        result.lock = self.catalog.lock_for(unit, period.code)
        result.is_late = bool(result.lock and result.received_at >= result.lock.locked_from)
        if result.is_late:
            received = result.received_at.astimezone(LOCAL_TZ)
            result.warnings.append(Problem(
                self.source.name, None, None, f"{received:%Y-%m-%d %H:%M}", "after_lock",
                f"received {received:%Y-%m-%d %H:%M} (Vietnam time), on or after the lock date "
                f"{result.lock.lock_date} of the meeting of {result.lock.meeting_date}: kept as a late "
                "version; the value in force stays the latest one received before the lock"))


def check_file(source: SourceFile, catalog: Catalog, received_at: datetime) -> CheckedFile:
    """Validate a read file; the result lists every error and warning and the values to load."""
    checker = _Checker(source, catalog, received_at)
    unit, period = checker.unit_and_period()
    checker.rows(unit, period)
    checker.lock_and_lineage(unit, period)
    result = checker.result
    if result.errors:
        result.values = []  # a rejected file loads nothing
    return result
