"""Reference files the data team edits (CSV), validated as a whole, then loaded in one transaction.

Files (a later directory overrides a file of the same name in an earlier one):
``indicators.csv``, ``meeting_calendar.csv``, ``reporting_units.csv``, ``focal_points.csv``,
``assignments.csv``, ``targets.csv``. Any problem (unknown code, duplicate key, bad number or
date) stops the load and is reported with its file, row, column and value; nothing is written.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg

from warehouse.admin_units import load_admin_units
from warehouse.periods import InvalidPeriod, parse_period, periods_of_year
from warehouse.problems import InputFileError, Problem

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], object] = str
    required: bool = True
    choices: tuple[str, ...] = ()


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("is not a number (use . as decimal separator)") from exc
    if not value.is_finite():
        raise ValueError("is not a finite number")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("is not a date YYYY-MM-DD") from exc


def _code(text: str) -> str:
    if not CODE_PATTERN.match(text):
        raise ValueError("is not a code of capital letters, digits and _")
    return text


def _email(text: str) -> str:
    if not EMAIL_PATTERN.match(text):
        raise ValueError("is not an e-mail address")
    return text


def _levels(text: str) -> list[str]:
    levels = [part.strip() for part in text.split(";") if part.strip()]
    wrong = [level for level in levels if level not in ("province", "district", "commune")]
    if wrong or not levels:
        raise ValueError("must list province, district and/or commune separated by ;")
    return levels


def _period(text: str) -> str:
    try:
        parse_period(text)
    except InvalidPeriod as exc:
        raise ValueError(str(exc)) from exc
    return text


SPECS: dict[str, list[Column]] = {
    "indicators.csv": [
        Column("indicator_code", _code),
        Column("name_vi"),
        Column("name_en"),
        Column("unit_of_measure"),
        Column("direction", choices=("higher_is_better", "lower_is_better")),
        Column("value_kind", choices=("count", "money", "quantity", "percentage", "rate", "rank")),
        Column("time_aggregation", choices=("sum", "last", "weighted_average", "rank")),
        Column("unit_aggregation", choices=("sum", "weighted_average", "none")),
        Column("weight_indicator_code", _code, required=False),
        Column("min_value", _decimal, required=False),
        Column("max_value", _decimal, required=False),
        Column("periodicity", choices=("month", "quarter", "year")),
        Column("admin_levels", _levels),
        Column("sector"),
    ],
    "meeting_calendar.csv": [
        Column("province_key"),
        Column("meeting_date", _date),
        Column("reporting_period", _period),
        Column("meeting_name"),
        Column("lock_days_before", int, required=False),
    ],
    "reporting_units.csv": [
        Column("unit_code", _code),
        Column("unit_name"),
        Column("unit_type", choices=("department", "district_office", "commune")),
        Column("admin_unit_key"),
    ],
    "focal_points.csv": [
        Column("unit_code", _code),
        Column("full_name"),
        Column("email", _email),
        Column("phone", required=False),
        Column("valid_from", _date),
    ],
    "assignments.csv": [
        Column("unit_code", _code),
        Column("indicator_code", _code),
        Column("plan_year", int),
        Column("annual_target", _decimal),
        Column("decision_ref", required=False),
    ],
    "targets.csv": [
        Column("unit_code", _code),
        Column("indicator_code", _code),
        Column("period_code", _period),
        Column("target_value", _decimal),
        Column("decided_on", _date),
        Column("decision_ref", required=False),
    ],
}

KEYS = {
    "indicators.csv": ("indicator_code",),
    "meeting_calendar.csv": ("province_key", "meeting_date"),
    "reporting_units.csv": ("unit_code",),
    "focal_points.csv": ("unit_code", "valid_from"),
    "assignments.csv": ("unit_code", "indicator_code", "plan_year"),
    "targets.csv": ("unit_code", "indicator_code", "period_code", "decided_on"),
}


@dataclass
class ReferenceSet:
    """The parsed reference files: rows keep their source file and row number."""

    rows: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def table(self, name: str) -> list[dict]:
        return self.rows.get(name, [])


def normalise_text(text: str) -> str:
    """NFC and trimmed: Vietnamese arrives composed or decomposed."""
    return unicodedata.normalize("NFC", text).strip()


def _read_file(path: Path, columns: list[Column], result: ReferenceSet) -> list[dict]:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        result.problems.append(Problem(str(path), None, None, None, "encoding", f"is not UTF-8: {exc}"))
        return []
    reader = csv.DictReader(text.splitlines())
    expected = [c.name for c in columns]
    header = [normalise_text(h) for h in (reader.fieldnames or [])]
    missing = [c for c in expected if c not in header and columns[expected.index(c)].required]
    if missing:
        result.problems.append(
            Problem(str(path), 1, ",".join(missing), ",".join(header), "header",
                    f"header lacks required column(s); expected {','.join(expected)}")
        )
        return []
    rows, seen = [], {}
    for row_number, raw in enumerate(reader, start=2):
        raw = {normalise_text(k): normalise_text(v or "") for k, v in raw.items() if k}
        row = {"_file": str(path), "_row": row_number}
        ok = True
        for column in columns:
            text = raw.get(column.name, "")
            if not text:
                if column.required:
                    result.problems.append(Problem(str(path), row_number, column.name, text, "required", "is empty"))
                    ok = False
                row[column.name] = None
                continue
            if column.choices and text not in column.choices:
                result.problems.append(
                    Problem(str(path), row_number, column.name, text, "allowed_values",
                            f"must be one of {', '.join(column.choices)}")
                )
                ok = False
                continue
            try:
                row[column.name] = column.parse(text)
            except ValueError as exc:
                result.problems.append(Problem(str(path), row_number, column.name, text, "format", str(exc)))
                ok = False
        if not ok:
            continue
        key = tuple(row[k] for k in KEYS[name])
        if key in seen:
            result.problems.append(
                Problem(str(path), row_number, ",".join(KEYS[name]), "/".join(map(str, key)),
                        "duplicate_key", f"duplicates row {seen[key]}")
            )
            continue
        seen[key] = row_number
        rows.append(row)
    return rows


def read_reference_files(directories: Iterable[Path]) -> ReferenceSet:
    """Parse the reference files found in the directories (later ones override earlier ones)."""
    chosen: dict[str, Path] = {}
    for directory in directories:
        for name in SPECS:
            if (Path(directory) / name).exists():
                chosen[name] = Path(directory) / name
    result = ReferenceSet()
    for name, path in chosen.items():
        result.rows[name] = _read_file(path, SPECS[name], result)
    return result


def _problem(row: dict, column: str, message: str, rule: str = "reference") -> Problem:
    return Problem(row["_file"], row["_row"], column, str(row[column]), rule, message)


def _check_indicators(refs: ReferenceSet, indicators: dict[str, dict]) -> None:
    add = refs.problems.append
    for row in indicators.values():
        weight = row["weight_indicator_code"]
        if weight and weight not in indicators:
            add(_problem(row, "weight_indicator_code", "names an indicator that is not in the catalogue"))
        if row["unit_aggregation"] == "weighted_average" and not weight:
            add(_problem(row, "unit_aggregation", "weighted_average needs a weight_indicator_code"))
        low, high = row["min_value"], row["max_value"]
        if low is not None and high is not None and low > high:
            add(_problem(row, "min_value", f"is above max_value {high}"))


def _check_codes(refs: ReferenceSet, file: str, column: str, known, where: str) -> None:
    for row in refs.table(file):
        if row[column] not in known:
            refs.problems.append(_problem(row, column, f"is not {where}"))


def _check_targets(refs: ReferenceSet, indicators, units, assignments) -> None:
    for row in refs.table("targets.csv"):
        year = parse_period(row["period_code"]).year
        row["plan_year"] = year
        if row["indicator_code"] not in indicators:
            refs.problems.append(_problem(row, "indicator_code", "is not an indicator in indicators.csv"))
        elif row["unit_code"] not in units:
            refs.problems.append(_problem(row, "unit_code", "is not a reporting unit in reporting_units.csv"))
        elif (row["unit_code"], row["indicator_code"], year) not in assignments:
            refs.problems.append(_problem(
                row, "indicator_code", f"has a target but is not assigned to unit {row['unit_code']} for {year}"))


def check_references(refs: ReferenceSet, admin_unit_keys: set[str]) -> None:
    """Cross-file checks: every code a row names must exist where it is defined."""
    indicators = {r["indicator_code"]: r for r in refs.table("indicators.csv")}
    units = {r["unit_code"]: r for r in refs.table("reporting_units.csv")}
    assignments = {(r["unit_code"], r["indicator_code"], r["plan_year"]) for r in refs.table("assignments.csv")}
    provinces = {key for key in admin_unit_keys if ":province:" in key}
    _check_indicators(refs, indicators)
    _check_codes(refs, "meeting_calendar.csv", "province_key", provinces, "a province key of reference.admin_unit")
    _check_codes(refs, "reporting_units.csv", "admin_unit_key", admin_unit_keys, "an administrative unit key")
    in_units = "a reporting unit in reporting_units.csv"
    _check_codes(refs, "focal_points.csv", "unit_code", units, in_units)
    _check_codes(refs, "assignments.csv", "unit_code", units, in_units)
    _check_codes(refs, "assignments.csv", "indicator_code", indicators, "an indicator in indicators.csv")
    _check_targets(refs, indicators, units, assignments)


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows: Iterable[dict]) -> int:
    count = 0
    with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
            count += 1
    return count


def _reporting_periods(refs: ReferenceSet) -> list[dict]:
    years = {r["plan_year"] for r in refs.table("assignments.csv")}
    years |= {r["meeting_date"].year for r in refs.table("meeting_calendar.csv")}
    years |= {parse_period(r["reporting_period"]).year for r in refs.table("meeting_calendar.csv")}
    rows = []
    for year in sorted(years):
        for p in periods_of_year(year):
            rows.append(dict(period_code=p.code, period_type=p.period_type, period_year=p.year,
                             calendar_start=p.calendar_start, calendar_end=p.calendar_end,
                             admin_cutoff_start=p.admin_cutoff_start, admin_cutoff_end=p.admin_cutoff_end))
    return rows


def load_reference(conn: psycopg.Connection, directories: Iterable[Path], lock_days_before: int = 3) -> dict[str, int]:
    """Validate the reference files and replace the reference tables with them, atomically."""
    refs = read_reference_files(directories)
    admin = load_admin_units()
    check_references(refs, {u["admin_unit_key"] for u in admin.units})
    if refs.problems:
        raise InputFileError(refs.problems)
    for row in refs.table("meeting_calendar.csv"):
        row["lock_days_before"] = row["lock_days_before"] if row["lock_days_before"] is not None else lock_days_before
        row["lock_date"] = row["meeting_date"] - timedelta(days=row["lock_days_before"])
    counts = {}
    with conn.transaction():
        conn.execute(
            "truncate reference.target, reference.assignment, reference.focal_point,"
            " reference.reporting_unit, reference.meeting_calendar, reference.reporting_period,"
            " reference.indicator, reference.admin_unit_lineage, reference.admin_unit"
        )
        counts["admin_unit"] = _copy(conn, "reference.admin_unit", list(admin.units[0]), admin.units)
        counts["admin_unit_lineage"] = _copy(conn, "reference.admin_unit_lineage", list(admin.lineage[0]), admin.lineage)
        # Weights refer to other indicators: the foreign key is checked at commit.
        indicator_columns = [c.name for c in SPECS["indicators.csv"]]
        counts["indicator"] = _copy(conn, "reference.indicator", indicator_columns, refs.table("indicators.csv"))
        counts["reporting_period"] = _copy(conn, "reference.reporting_period",
                                           ["period_code", "period_type", "period_year", "calendar_start",
                                            "calendar_end", "admin_cutoff_start", "admin_cutoff_end"],
                                           _reporting_periods(refs))
        counts["meeting_calendar"] = _copy(conn, "reference.meeting_calendar",
                                           ["province_key", "meeting_date", "reporting_period",
                                            "meeting_name", "lock_days_before", "lock_date"],
                                           refs.table("meeting_calendar.csv"))
        units = refs.table("reporting_units.csv")
        province_of = {u["admin_unit_key"]: u["province_key"] for u in admin.units}
        for unit in units:
            unit["province_key"] = province_of[unit["admin_unit_key"]]
        counts["reporting_unit"] = _copy(conn, "reference.reporting_unit",
                                         ["unit_code", "unit_name", "unit_type", "admin_unit_key", "province_key"], units)
        counts["focal_point"] = _copy(conn, "reference.focal_point",
                                      [c.name for c in SPECS["focal_points.csv"]], refs.table("focal_points.csv"))
        counts["assignment"] = _copy(conn, "reference.assignment",
                                     [c.name for c in SPECS["assignments.csv"]], refs.table("assignments.csv"))
        counts["target"] = _copy(conn, "reference.target",
                                 ["unit_code", "indicator_code", "plan_year", "period_code", "target_value",
                                  "decided_on", "decision_ref"], refs.table("targets.csv"))
    return counts
