"""Read a submitted file (CSV long form or the XLSX template) into rows, or say why it cannot be read.

Readers check the container (encoding, header, template version, shape of rows); what the
values mean is checked by ``ingestion.validation`` against the reference data. XLSX is read
with python-calamine (a Rust reader, an order of magnitude faster than openpyxl).
Text is normalised to NFC: Vietnamese arrives composed or decomposed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.templates import (
    CODE_COLUMN,
    DATA_SHEET,
    HEADER,
    HEADER_ROW,
    META_SHEET,
    NOTE_COLUMN,
    SUPPORTED_TEMPLATE_VERSIONS,
    TEMPLATE_VERSION,
    VALUE_COLUMN,
    column_label,
)
from warehouse.problems import Problem

CSV_COLUMNS = ("unit_code", "period", "indicator_code", "value", "note")
CSV_FORMAT_VERSION = "csv-long-v1"
FORMATS = {".csv": "csv", ".xlsx": "xlsx"}
_LOOKS_LIKE_PERIOD = re.compile(r"^\d{4}(-|$)")


def nfc(text: str) -> str:
    """Composed Unicode, trimmed, without NUL characters (PostgreSQL text cannot hold them)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.strip()


@dataclass(slots=True)
class SourceRow:
    """One data row as found in the file; ``value`` is text (CSV) or a cell value (XLSX)."""

    row: int
    unit_code: str
    period_code: str
    indicator_code: str
    value: object
    note: str


@dataclass
class SourceFile:
    name: str
    file_format: str
    sheet: str | None = None
    template_version: str | None = None
    # File-level unit and period (the XLSX metadata sheet); CSV rows carry their own.
    unit_code: str | None = None
    period_code: str | None = None
    rows: list[SourceRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # How problems name a field's column: "value" in a CSV, "G (Thực hiện)" in the template.
    columns: dict[str, str] = field(default_factory=dict)
    # Where the file-level unit and period were read (sheet, row, column) for problems about them.
    meta_cells: dict[str, tuple[str | None, int | None, str | None]] = field(default_factory=dict)

    def error(self, rule: str, message: str, *, row: int | None = None, column: str | None = None,
              value: object = None, sheet: str | None = None) -> None:
        self.errors.append(Problem(self.name, row, column, None if value is None else str(value), rule,
                                   message, sheet))

    def warn(self, rule: str, message: str, *, row: int | None = None, column: str | None = None,
             value: object = None, sheet: str | None = None) -> None:
        self.warnings.append(Problem(self.name, row, column, None if value is None else str(value), rule,
                                     message, sheet))


def file_format(path: Path) -> str:
    return FORMATS.get(Path(path).suffix.lower(), "unknown")


def read_file(name: str, data: bytes) -> SourceFile:
    """Read a file's bytes according to its extension."""
    kind = file_format(Path(name))
    if kind == "csv":
        return read_csv(name, data)
    if kind == "xlsx":
        return read_xlsx(name, data)
    source = SourceFile(name, "unknown")
    source.error("unsupported_format",
                 f"is not a .csv or .xlsx file; send the XLSX template or a CSV file "
                 f"({','.join(CSV_COLUMNS)})", value=Path(name).suffix or name)
    return source


# --- CSV -----------------------------------------------------------------------------------------

def _decode(source: SourceFile, data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        source.error("encoding", "is UTF-16 text; save the file as CSV UTF-8", row=1)
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 4].hex(" ")
        source.error("encoding",
                     f"is not UTF-8 (byte {bad} at offset {exc.start}); save the file as CSV UTF-8",
                     row=line, value=bad)
        return None


def _check_header(source: SourceFile, header: list[str]) -> list[int] | None:
    """Return the position of each expected column, or report the header and return None."""
    names = [nfc(name).lower() for name in header]
    if sorted(names) == sorted(CSV_COLUMNS):
        return [names.index(column) for column in CSV_COLUMNS]
    expected = ",".join(CSV_COLUMNS)
    if len(names) >= 2 and _LOOKS_LIKE_PERIOD.match(names[1]):
        source.error("header", f"has no header line; the first line must be {expected}", row=1,
                     value=",".join(header))
        return None
    missing = [c for c in CSV_COLUMNS if c not in names]
    extra = [h for h in names if h not in CSV_COLUMNS]
    detail = "; ".join(part for part in (
        f"missing {', '.join(missing)}" if missing else "",
        f"unexpected {', '.join(extra)}" if extra else "",
        "a column is repeated" if not missing and not extra else "",
    ) if part)
    source.error("header", f"header is wrong ({detail}); it must be {expected}", row=1,
                 value=",".join(header))
    return None


def read_csv(name: str, data: bytes) -> SourceFile:
    """Read a CSV long-form file: header, then one row per indicator of one unit and period."""
    source = SourceFile(name, "csv", template_version=CSV_FORMAT_VERSION,
                        columns={c: c for c in ("unit_code", "indicator_code", "value", "note")}
                        | {"period_code": "period"})
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        source.error("empty", "the file is empty")
        return source
    text = _decode(source, data)
    if text is None:
        return source
    text = nfc(text)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        positions = _check_header(source, next(reader))
        if positions is None:
            return source
        width = len(CSV_COLUMNS)
        in_order = positions == list(range(width))
        append = source.rows.append
        strip = str.strip
        for record in reader:
            if len(record) == width:
                fields = list(map(strip, record if in_order else [record[p] for p in positions]))
                if any(fields):
                    append(SourceRow(reader.line_num, *fields))
            elif any(map(strip, record)):
                source.error("columns",
                             f"has {len(record)} fields, expected {width} "
                             "(a value holding a comma must be quoted; numbers use . as decimal separator)",
                             row=reader.line_num, value=",".join(record))
    except csv.Error as exc:
        source.error("unreadable", f"is not a readable CSV file: {exc}", row=reader.line_num)
        return source
    if not source.rows and not source.errors:
        source.error("empty", "the file has a header but no data rows", row=2)
    return source


# --- XLSX ----------------------------------------------------------------------------------------

def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return nfc(str(cell))


def _read_meta(source: SourceFile, workbook) -> dict[str, str]:
    if META_SHEET not in workbook.sheet_names:
        source.error("template_version",
                     f"has no hidden sheet {META_SHEET!r} with the template version, unit and period: "
                     f"send the template generated by `kpi templates` (version {TEMPLATE_VERSION})")
        return {}
    meta: dict[str, str] = {}
    for number, cells in enumerate(workbook.get_sheet_by_name(META_SHEET).to_python(skip_empty_area=False),
                                   start=1):
        if len(cells) >= 2 and _text(cells[0]):
            key = _text(cells[0])
            meta[key] = _text(cells[1])
            source.meta_cells[key] = (META_SHEET, number, "B")
    version = meta.get("template_version", "")
    where = source.meta_cells.get("template_version", (META_SHEET, None, None))
    if not version:
        source.error("template_version", f"the template version is missing (expected {TEMPLATE_VERSION})",
                     sheet=where[0], row=where[1], column=where[2])
    elif version not in SUPPORTED_TEMPLATE_VERSIONS:
        source.error("template_version",
                     f"template version {version!r} is not supported (expected {TEMPLATE_VERSION}); "
                     "download a new template", sheet=where[0], row=where[1], column=where[2], value=version)
    source.template_version = version or None
    return meta


def _find_header(rows: list[list]) -> int | None:
    wanted = [h.casefold() for h in HEADER]
    for index, cells in enumerate(rows[: HEADER_ROW + 20]):
        if [_text(c).casefold() for c in cells[: len(HEADER)]] == wanted:
            return index
    return None


def _report_header(source: SourceFile, rows: list[list]) -> None:
    found = rows[HEADER_ROW - 1] if len(rows) >= HEADER_ROW else []
    found = [_text(c) for c in found] + [""] * (len(HEADER) - len(found))
    wrong = [(i, f, h) for i, (f, h) in enumerate(zip(found, HEADER, strict=False), start=1)
             if f.casefold() != h.casefold()]
    for index, found_text, expected in wrong:
        source.error("header", f"header is wrong: expected {expected!r}; columns must not be moved, "
                     "renamed or deleted", sheet=source.sheet, row=HEADER_ROW, column=column_label(index),
                     value=found_text)


def read_xlsx(name: str, data: bytes) -> SourceFile:
    """Read a filled XLSX template: metadata sheet, header row, then one row per indicator."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    source = SourceFile(name, "xlsx", sheet=DATA_SHEET, columns={
        "indicator_code": column_label(CODE_COLUMN),
        "value": column_label(VALUE_COLUMN),
        "note": column_label(NOTE_COLUMN),
        "unit_code": "B", "period_code": "B",
    })
    if not data:
        source.error("empty", "the file is empty (0 bytes)")
        return source
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        source.error("unreadable", "the workbook is password-protected; send it without a password")
        return source
    except (CalamineError, ValueError, OSError) as exc:
        source.error("unreadable", f"is not a readable XLSX workbook ({exc})")
        return source
    meta = _read_meta(source, workbook)
    if source.meta_cells:
        source.unit_code = meta.get("unit_code", "")
        source.period_code = meta.get("period_code", "")
    sheet_name = meta.get("data_sheet") or DATA_SHEET
    if sheet_name not in workbook.sheet_names:
        source.error("header", f"has no sheet {sheet_name!r}; send the template as generated",
                     value=", ".join(workbook.sheet_names))
        return source
    source.sheet = sheet_name
    try:
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except CalamineError as exc:
        source.error("unreadable", f"sheet {sheet_name!r} cannot be read ({exc})", sheet=sheet_name)
        return source
    header = _find_header(rows)
    if header is None:
        _report_header(source, rows)
        return source
    width = max(CODE_COLUMN, VALUE_COLUMN, NOTE_COLUMN)
    for number, cells in enumerate(rows[header + 1:], start=header + 2):
        if len(cells) < width:
            cells = [*cells, *[""] * (width - len(cells))]
        code, value, note = cells[CODE_COLUMN - 1], cells[VALUE_COLUMN - 1], cells[NOTE_COLUMN - 1]
        code, note = _text(code), _text(note)
        if isinstance(value, str):
            value = nfc(value)
        if value == "" or value is None:
            if note:
                source.warn("note_without_value", "has a note but no value: nothing is loaded for this row",
                            sheet=sheet_name, row=number, column=source.columns["note"], value=note)
            continue
        source.rows.append(SourceRow(number, source.unit_code or "", source.period_code or "", code,
                                     value, note))
    if not source.rows and not source.errors:
        source.error("empty", f"no value was entered in column {column_label(VALUE_COLUMN)}",
                     sheet=sheet_name)
    return source
