"""Demo scenario: one real post-2025 province with all its real communes, a plan and a year of
submissions, with the imperfections later stages must catch.

The province (default Gia Lai, which absorbed Bình Định in 2025) gets its departments (sở) and
every commune as reporting units, each with a focal point, assignments and targets broken down
by month or quarter. Submissions are written into a landing folder as the units would send them
(CSV long form, some as filled XLSX templates), with file modification times set to when each
file was "received". History: the previous year on the same units, and two years back on the
legacy districts (before the 2025 reorganisation), so trends cross the reform.

Everything is deterministic for a given seed. ``planted.json`` lists each planted imperfection.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.admin_units import POST, PRE, load_admin_units, unit_key
from warehouse.periods import Period, parse_period
from warehouse.reference import read_reference_files
from warehouse.settings import PROJECT_ROOT

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CSV_HEADER = ["unit_code", "period", "indicator_code", "value", "note"]

# Base size of a commune's monthly or quarterly figure (a typical value), by indicator.
COMMUNE_INDICATORS = {
    "BUDGET_REVENUE": 2.5,
    "PUBLIC_INVESTMENT_DISBURSEMENT": 4.0,
    "JOBS_CREATED": 90,
    "TRAFFIC_ACCIDENTS": 6,
    "TOTAL_SOCIAL_INVESTMENT": 80.0,
    "LABOUR_FORCE": 18000,
    "TRAINED_LABOUR_RATE": 68.0,
    "HEALTH_INSURANCE_COVERAGE": 93.0,
    "POOR_HOUSEHOLD_RATE": 6.0,
    "FOOD_OUTPUT": 3000.0,
    "POPULATION": 30000,
    "HOUSEHOLDS": 8000,
}
# Department (sở) -> province-level indicators it reports. Indicators also reported by communes
# are the department's own provincial totals: the consistency checks compare the two.
DEPARTMENTS = {
    "SO_TAI_CHINH": ("Sở Tài chính", {"BUDGET_REVENUE": None, "BUDGET_EXPENDITURE": 700.0,
                                      "FDI_CAPITAL": 40.0, "NEW_ENTERPRISES": 120}),
    "SO_CONG_THUONG": ("Sở Công Thương", {"EXPORT_TURNOVER": 110.0, "IMPORT_TURNOVER": 60.0,
                                          "RETAIL_SALES": 9000.0}),
    "SO_NOI_VU": ("Sở Nội vụ", {"JOBS_CREATED": None}),
    "SO_NONG_NGHIEP_MOI_TRUONG": ("Sở Nông nghiệp và Môi trường",
                                  {"NEW_RURAL_COMMUNES": 60, "FOOD_OUTPUT": None}),
    "SO_VAN_HOA_THE_THAO_DU_LICH": ("Sở Văn hóa, Thể thao và Du lịch",
                                    {"TOURIST_ARRIVALS": 600000, "TOURISM_REVENUE": 1500.0}),
    "CONG_AN_TINH": ("Công an tỉnh", {"TRAFFIC_ACCIDENTS": None}),
    "VAN_PHONG_UBND": ("Văn phòng UBND tỉnh", {"ONLINE_PUBLIC_SERVICE_RATE": 85.0}),
}
LEGACY_HISTORY_INDICATORS = {"BUDGET_REVENUE": 25.0, "JOBS_CREATED": 900}
GIVEN_NAMES = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Khánh", "Lan",
               "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Phong", "Phương", "Quân", "Sơn",
               "Tâm", "Thảo", "Thành", "Trang", "Tuấn", "Vân", "Việt", "Yến"]
FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE_NAMES = ["Văn", "Thị", "Minh", "Thanh", "Hữu", "Ngọc", "Đức", "Thu"]


@dataclass(frozen=True)
class ScenarioConfig:
    province_code: str = "52"
    year: int = 2026
    # The demo shows the province as it stands on this day (before the December lock).
    as_of: datetime = datetime(2026, 11, 27, 9, 0, tzinfo=VIETNAM)
    seed: int = 2026
    xlsx_share: float = 0.02  # filled XLSX templates are slow to write (openpyxl)
    clean_commune_code: str = "21583"  # Phường Quy Nhơn: always complete, on time, consistent


@dataclass
class PlantedImperfection:
    kind: str
    unit_code: str
    indicator_code: str | None = None
    period_code: str | None = None
    file: str | None = None
    detail: str = ""


@dataclass
class Scenario:
    root: Path
    config: ScenarioConfig
    clean_unit_code: str
    planted: list[PlantedImperfection] = field(default_factory=list)
    files_written: int = 0

    @property
    def reference_dir(self) -> Path:
        return self.root / "reference"

    @property
    def landing_dir(self) -> Path:
        return self.root / "landing"


def commune_unit_code(official_code: str) -> str:
    return f"COMMUNE_{official_code}"


def district_unit_code(official_code: str) -> str:
    return f"DISTRICT_OFFICE_{official_code}"


class _Builder:
    """Accumulates the scenario's reference rows and submission files."""

    def __init__(self, root: Path, config: ScenarioConfig, conn=None):
        self.config = config
        self.rng = random.Random(config.seed)
        self.conn = conn
        self.scenario = Scenario(root, config, commune_unit_code(config.clean_commune_code))
        refs = read_reference_files([PROJECT_ROOT / "reference_data"])
        self.indicators = {r["indicator_code"]: r for r in refs.table("indicators.csv")}
        self.calendar = refs.table("meeting_calendar.csv")
        self.units: list[dict] = []
        self.focal_points: list[dict] = []
        self.assignments: list[dict] = []
        self.targets: list[dict] = []
        # (unit, indicator) -> {period_code: value}: the values each unit reports.
        self.values: dict[tuple[str, str], dict[str, float]] = {}
        self.size: dict[str, float] = {}

    # reference ---------------------------------------------------------------------------
    def add_unit(self, unit_code: str, name: str, unit_type: str, admin_key: str, since: date) -> None:
        self.units.append(dict(unit_code=unit_code, unit_name=name, unit_type=unit_type,
                               admin_unit_key=admin_key))
        family, middle, given = (self.rng.choice(FAMILY_NAMES), self.rng.choice(MIDDLE_NAMES),
                                 self.rng.choice(GIVEN_NAMES))
        self.focal_points.append(dict(
            unit_code=unit_code, full_name=f"{family} {middle} {given}",
            email=f"{unit_code.lower()}@demo.gialai.gov.vn",
            phone=f"0269 3{self.rng.randrange(100000, 999999)}", valid_from=since.isoformat()))
        self.size[unit_code] = self.rng.lognormvariate(0, 0.45)

    def periods_for(self, indicator_code: str, year: int) -> list[Period]:
        periodicity = self.indicators[indicator_code]["periodicity"]
        if periodicity == "month":
            return [parse_period(f"{year}-{m:02d}") for m in range(1, 13)]
        return [parse_period(f"{year}-Q{q}") for q in range(1, 5)]

    def expected_value(self, unit_code: str, indicator_code: str, base: float, period: Period,
                       year: int) -> float:
        """A plausible figure: unit size x base, mild seasonality and growth, small noise."""
        kind = self.indicators[indicator_code]["value_kind"]
        growth = 1.0 + 0.06 * (year - 2024)
        if kind in ("percentage", "rate"):
            drift = 0.4 * (period.last_month / 12) * (1 if indicator_code != "POOR_HOUSEHOLD_RATE" else -1)
            value = base + 6 * (self.size[unit_code] - 1) + drift + self.rng.uniform(-0.3, 0.3)
            return round(min(max(value, 0.5), 99.5), 2)
        seasonal = 1.0 + 0.08 * ((period.last_month % 6) - 2.5) / 2.5
        value = base * self.size[unit_code] * growth * seasonal * self.rng.uniform(0.97, 1.03)
        if kind == "count":
            return float(max(1, round(value)))
        return round(value, 2)

    def rescaled(self, indicator_code: str, value: float, factor: float) -> float:
        """A corrected figure: counts stay whole numbers."""
        if self.indicators[indicator_code]["value_kind"] == "count":
            return float(round(value * factor))
        return round(value * factor, 2)

    def series(self, unit_code: str, indicator_code: str, base: float, year: int) -> dict[str, float]:
        """The figures a unit reports for a year, one per period of the indicator."""
        values = {p.code: self.expected_value(unit_code, indicator_code, base, p, year)
                  for p in self.periods_for(indicator_code, year)}
        indicator = self.indicators[indicator_code]
        if indicator["time_aggregation"] == "last" and indicator["value_kind"] == "count":
            # Stocks (population, communes meeting the standard) do not fall within a year.
            values = dict(zip(values, sorted(values.values()), strict=True))
        return values

    def assign(self, unit_code: str, indicator_code: str, year: int, series: dict[str, float]) -> None:
        """Assign an indicator with its yearly plan and per-period targets."""
        self.values[(unit_code, indicator_code)] = {**self.values.get((unit_code, indicator_code), {}), **series}
        indicator = self.indicators[indicator_code]
        periods = self.periods_for(indicator_code, year)
        if indicator["time_aggregation"] == "sum":
            plan_factor = self.rng.choice([0.92, 0.97, 1.0, 1.03, 1.08])
            period_targets = {p.code: round(series.get(p.code, 0) * plan_factor, 2) for p in periods}
            annual = round(sum(period_targets.values()), 2)
        else:
            level = list(series.values())[-1] if series else 0
            annual = round(level * (1.01 if indicator["direction"] == "higher_is_better" else 0.97), 2)
            period_targets = {p.code: annual for p in periods}
        decision = f"QĐ {self.rng.randrange(100, 999)}/QĐ-UBND"
        self.assignments.append(dict(unit_code=unit_code, indicator_code=indicator_code,
                                     plan_year=year, annual_target=annual, decision_ref=decision))
        decided = date(year - 1, 12, 27).isoformat()
        for code, target in period_targets.items():
            self.targets.append(dict(unit_code=unit_code, indicator_code=indicator_code,
                                     period_code=code, target_value=target,
                                     decided_on=decided, decision_ref=decision))

    def total_of(self, units: list[str], indicator_code: str, year: int) -> dict[str, float]:
        """A department's provincial total: the sum of what the units report."""
        totals: dict[str, float] = {}
        for unit in units:
            for period_code, value in self.values.get((unit, indicator_code), {}).items():
                if parse_period(period_code).year == year:
                    totals[period_code] = round(totals.get(period_code, 0) + value, 2)
        return totals


def _lock_dates(calendar: list[dict], province_key: str) -> dict[str, date]:
    """Lock date per submission period (first meeting reviewing a period ending on or after it)."""
    meetings = sorted(
        (row["meeting_date"], parse_period(row["reporting_period"]).calendar_end,
         row["meeting_date"] - timedelta(days=row.get("lock_days_before") or 3))
        for row in calendar if row["province_key"] == province_key
    )
    locks = {}
    for year in {m[0].year for m in meetings}:
        for code in [f"{year}-{m:02d}" for m in range(1, 13)] + [f"{year}-Q{q}" for q in range(1, 5)]:
            end = parse_period(code).calendar_end
            lock = next((m[2] for m in meetings if m[1] >= end), None)
            if lock:
                locks[code] = lock
    return locks


def _received_at(rng: random.Random, period: Period, lock: date | None) -> datetime:
    """When a conscientious unit sends a period: after the data cut-off, before the lock."""
    start = period.admin_cutoff_end + timedelta(days=1)
    end = (lock - timedelta(days=1)) if lock else start + timedelta(days=10)
    day = start + timedelta(days=rng.randrange(max(1, (end - start).days + 1)))
    return datetime.combine(day, time(rng.randrange(7, 17), rng.randrange(60)), VIETNAM)


def _format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _write_reference(directory: Path, name: str, rows: list[dict]) -> None:
    with (directory / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


class _Landing:
    """Writes submission files as units send them, with their received time as mtime."""

    def __init__(self, directory: Path, scenario: Scenario, conn, rng: random.Random, xlsx_share: float):
        self.directory = directory
        self.scenario = scenario
        self.conn = conn
        self.rng = rng
        self.xlsx_share = xlsx_share if conn is not None else 0.0
        # (unit, indicator, period) -> value of the latest on-time version
        self.current: dict[tuple[str, str, str], float] = {}

    def _path(self, unit: str, period: str, received: datetime, suffix: str) -> Path:
        return self.directory / f"{unit}_{period}_{received:%Y%m%dT%H%M}{suffix}"

    def _stamp(self, path: Path, received: datetime) -> Path:
        os.utime(path, (received.timestamp(), received.timestamp()))
        self.scenario.files_written += 1
        return path

    def send(self, unit: str, period: str, values: dict[str, float], received: datetime,
             *, late: bool = False, as_text: dict[str, str] | None = None) -> Path:
        """Send one unit's figures for one period (CSV, or a filled XLSX template)."""
        if not late:
            for indicator, value in values.items():
                self.current[(unit, indicator, period)] = value
        if self.rng.random() < self.xlsx_share or as_text:
            from ingestion.templates import fill_template, write_template

            path = write_template(self.conn, unit, period, self._path(unit, period, received, ".xlsx"))
            filled = {code: (as_text or {}).get(code, value) for code, value in values.items()}
            fill_template(path, filled)
            return self._stamp(path, received)
        rows = [[unit, period, code, _format_value(value), ""] for code, value in values.items()]
        return self.write_rows(self._path(unit, period, received, ".csv"), CSV_HEADER, rows, received)

    def write_rows(self, path: Path, header: list[str], rows: list[list[str]], received: datetime,
                   encoding: str = "utf-8") -> Path:
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return self._stamp(path, received)


def _plant(builder: _Builder, kind: str, unit: str, indicator=None, period=None, file=None, detail="") -> None:
    builder.scenario.planted.append(PlantedImperfection(kind, unit, indicator, period, file, detail))


def _reference_units(builder: _Builder, config: ScenarioConfig) -> tuple[list[str], list[str]]:
    """Add departments, communes and legacy district offices; return commune and district codes."""
    admin = load_admin_units()
    province_key = unit_key(POST, "province", config.province_code)
    legacy_provinces = {row["legacy_unit_key"] for row in admin.lineage
                        if row["new_unit_key"] == province_key and ":province:" in row["legacy_unit_key"]}
    for code, (name, _) in DEPARTMENTS.items():
        builder.add_unit(code, name, "department", province_key, date(config.year - 2, 1, 1))
    communes, districts = [], []
    for unit in sorted(admin.units, key=lambda u: u["admin_unit_key"]):
        if unit["hierarchy"] == POST and unit["parent_key"] == province_key:
            code = commune_unit_code(unit["official_code"])
            builder.add_unit(code, unit["name"], "commune", unit["admin_unit_key"], date(2025, 7, 1))
            communes.append(code)
        elif (unit["hierarchy"], unit["admin_level"]) == (PRE, "district") \
                and unit["parent_key"] in legacy_provinces:
            code = district_unit_code(unit["official_code"])
            builder.add_unit(code, f"Phòng Tài chính - Kế hoạch {unit['name']}", "district_office",
                             unit["admin_unit_key"], date(config.year - 2, 1, 1))
            districts.append(code)
    return communes, districts


def _plan(builder: _Builder, config: ScenarioConfig, communes: list[str], districts: list[str]) -> None:
    for year in (config.year - 1, config.year):
        for unit in communes:
            for indicator, base in COMMUNE_INDICATORS.items():
                builder.assign(unit, indicator, year, builder.series(unit, indicator, base, year))
        for dept, (_, indicators) in DEPARTMENTS.items():
            for indicator, base in indicators.items():
                series = (builder.total_of(communes, indicator, year) if base is None
                          else builder.series(dept, indicator, base, year))
                builder.assign(dept, indicator, year, series)
    for unit in districts:
        for indicator, base in LEGACY_HISTORY_INDICATORS.items():
            builder.assign(unit, indicator, config.year - 2,
                           builder.series(unit, indicator, base, config.year - 2))


def _files_by_period(builder: _Builder, unit: str, year: int) -> dict[str, dict[str, float]]:
    """The unit's figures grouped by period: one file per unit and period."""
    grouped: dict[str, dict[str, float]] = {}
    for (owner, indicator), series in builder.values.items():
        if owner != unit:
            continue
        for period_code, value in series.items():
            if parse_period(period_code).year == year:
                grouped.setdefault(period_code, {})[indicator] = value
    return dict(sorted(grouped.items(), key=lambda item: parse_period(item[0]).calendar_end))


def _send_history(builder: _Builder, landing: _Landing, units: list[str], year: int) -> None:
    for unit in units:
        for period_code, values in _files_by_period(builder, unit, year).items():
            landing.send(unit, period_code, values, _received_at(builder.rng, parse_period(period_code), None))


def _malformed(builder: _Builder, landing: _Landing, unit: str, period: str, values: dict[str, float],
               received: datetime) -> None:
    """Send a broken file, then the corrected one a day later (the unit acts on the report)."""
    kinds = ["wrong_header", "not_a_number", "unknown_indicator", "mixed_periods", "empty_file",
             "bad_encoding", "duplicate_rows"]
    kind = kinds[builder.rng.randrange(len(kinds))]
    rows = [[unit, period, code, _format_value(v), ""] for code, v in values.items()]
    header = CSV_HEADER
    encoding = "utf-8"
    if kind == "wrong_header":
        header = ["ma_don_vi", "ky_bao_cao", "ma_chi_tieu", "gia_tri", "ghi_chu"]
    elif kind == "not_a_number":
        rows[0][3] = "khoảng 12"
    elif kind == "unknown_indicator":
        rows[0][2] = rows[0][2][:-1]
    elif kind == "mixed_periods":
        rows[-1][1] = f"{period[:4]}-Q4" if "Q" not in period else f"{period[:4]}-12"
    elif kind == "empty_file":
        header, rows = [], []
    elif kind == "bad_encoding":
        rows[0][4] = "Số liệu ước tính của Phòng Kinh tế"
        encoding = "cp1258"
    elif kind == "duplicate_rows":
        rows.append(list(rows[0]))
    path = landing._path(unit, period, received, ".csv")
    if header:
        landing.write_rows(path, header, rows, received, encoding=encoding)
    else:
        path.write_bytes(b"")
        landing._stamp(path, received)
    _plant(builder, "malformed", unit, None, period, path.name, kind)
    landing.send(unit, period, values, received + timedelta(days=1))


def _distort(builder: _Builder, unit: str, role: str, period_code: str,
             values: dict[str, float]) -> dict[str, float]:
    """Apply a planted fault to the figures of one file: an item left out, an outlier, a x1,000 slip."""
    month = parse_period(period_code).last_month if "-Q" not in period_code else 0
    values = dict(values)
    if role == "partial" and month == 10:
        values.pop("TRAFFIC_ACCIDENTS")
        _plant(builder, "partial", unit, "TRAFFIC_ACCIDENTS", period_code)
    elif role == "outlier" and month == 7:
        values["JOBS_CREATED"] = values["JOBS_CREATED"] * 8
        _plant(builder, "outlier", unit, "JOBS_CREATED", period_code, detail="8 x usual")
    elif role == "unit_slip" and month == 5:
        values["BUDGET_REVENUE"] = round(values["BUDGET_REVENUE"] * 1000, 2)
        _plant(builder, "unit_slip", unit, "BUDGET_REVENUE", period_code,
               detail="reported in million dong instead of billion")
    return values


def _withheld(builder: _Builder, unit: str, role: str | None, period: Period, values: dict,
              received: datetime, pending: bool, open_month: str) -> bool:
    """Whether a file is not (yet) sent: future, still pending, or planted as missing."""
    code = period.code
    if received > builder.config.as_of or pending:
        if code == open_month:
            _plant(builder, "not_yet_submitted", unit, None, code)
        return True
    if role == "missing" and code == f"{period.year}-08":
        for indicator in values:
            _plant(builder, "missing", unit, indicator, code)
        return True
    if role == "stale" and period.calendar_end >= date(period.year, 10, 1):
        for indicator in values:
            _plant(builder, "not_yet_submitted" if code == open_month else "missing", unit, indicator, code)
        return True
    return False


def _resend(builder: _Builder, landing: _Landing, unit: str, role: str | None, period_code: str,
            values: dict, received: datetime, locks: dict[str, date]) -> None:
    """A second version of a file: corrected before the lock, or after it (late)."""
    year = builder.config.year
    if role == "resubmitted" and period_code == f"{year}-06":
        corrected = {k: builder.rescaled(k, v, 1.02) for k, v in values.items()}
        path = landing.send(unit, period_code, corrected, received + timedelta(hours=20))
        _plant(builder, "resubmitted", unit, None, period_code, path.name, "corrected before the lock")
    if role == "late_resubmission" and period_code == f"{year}-09":
        corrected = {k: builder.rescaled(k, v, 1.1) for k, v in values.items()}
        late_at = datetime.combine(locks[period_code] + timedelta(days=10), time(15), VIETNAM)
        path = landing.send(unit, period_code, corrected, late_at, late=True)
        _plant(builder, "late", unit, None, period_code, path.name, "resubmission after the lock")


def _send_current_year(builder: _Builder, landing: _Landing, config: ScenarioConfig,
                       communes: list[str], locks: dict[str, date]) -> None:
    """The year in progress: every commune's files up to the as-of time, with planted faults."""
    year, rng = config.year, builder.rng
    clean = builder.scenario.clean_unit_code
    roles = ["missing", "partial", "stale", "late", "late_resubmission", "outlier", "unit_slip",
             "resubmitted", "malformed", "malformed", "malformed"]
    candidates = [c for c in communes if c != clean]
    chosen = rng.sample(candidates, len(roles))
    role_of = dict(zip(chosen, roles, strict=True))
    others = [c for c in candidates if c not in role_of]
    open_month = f"{year}-{config.as_of.month:02d}"
    not_yet = set(rng.sample(others, len(others) // 3))
    month = lambda m: f"{year}-{m:02d}"  # noqa: E731

    for unit in communes:
        role = role_of.get(unit)
        for period_code, values in _files_by_period(builder, unit, year).items():
            period = parse_period(period_code)
            values = dict(values)
            received = _received_at(rng, period, locks.get(period_code))
            if unit == clean:
                received = datetime.combine(period.admin_cutoff_end + timedelta(days=2), time(9), VIETNAM)
            pending = unit in not_yet and period_code == open_month
            if _withheld(builder, unit, role, period, values, received, pending, open_month):
                continue
            if role in ("partial", "outlier", "unit_slip"):
                values = _distort(builder, unit, role, period_code, values)
            if role == "late" and period_code == month(10):
                received = datetime.combine(locks[period_code] + timedelta(days=4), time(10), VIETNAM)
                path = landing.send(unit, period_code, values, received, late=True)
                _plant(builder, "late", unit, None, period_code, path.name)
                continue
            if role == "malformed" and period_code == month(4):
                _malformed(builder, landing, unit, period_code, values, received)
                continue
            landing.send(unit, period_code, values, received)
            _resend(builder, landing, unit, role, period_code, values, received, locks)
    for unit, role in role_of.items():
        if role == "stale":
            _plant(builder, "stale", unit, detail="no update since early October")


def _send_departments(builder: _Builder, landing: _Landing, config: ScenarioConfig,
                      communes: list[str], locks: dict[str, date]) -> None:
    """Departments send on the day before the lock, their totals matching what communes sent."""
    year = config.year
    for dept, (_, indicators) in DEPARTMENTS.items():
        for period_code, values in _files_by_period(builder, dept, year).items():
            lock = locks.get(period_code)
            if lock is None:
                continue
            received = datetime.combine(lock - timedelta(days=1), time(16), VIETNAM)
            if received > config.as_of:
                if period_code == f"{year}-{config.as_of.month:02d}":
                    _plant(builder, "not_yet_submitted", dept, None, period_code)
                continue
            values = dict(values)
            for indicator, base in indicators.items():
                if base is None and indicator in values:
                    values[indicator] = round(sum(
                        landing.current.get((c, indicator, period_code), 0) for c in communes), 2)
            if dept == "SO_TAI_CHINH" and period_code == f"{year}-06":
                values["BUDGET_REVENUE"] = round(values["BUDGET_REVENUE"] * 1.25, 2)
                _plant(builder, "inconsistent_sum", dept, "BUDGET_REVENUE", period_code,
                       detail="provincial figure 25% above the sum of the communes")
            if dept == "SO_NONG_NGHIEP_MOI_TRUONG" and period_code == f"{year}-Q3":
                values["NEW_RURAL_COMMUNES"] = values["NEW_RURAL_COMMUNES"] - 6
                _plant(builder, "decreasing_cumulative", dept, "NEW_RURAL_COMMUNES", period_code,
                       detail="fewer communes meeting the standard than in Q2")
            landing.send(dept, period_code, values, received)


def generate_scenario(out_dir: Path, config: ScenarioConfig | None = None, conn=None,
                      *, with_submissions: bool = True) -> Scenario:
    """Write the scenario's reference files, landing files and planted.json under out_dir.

    With a warehouse connection whose reference data is already loaded (from these same files:
    the scenario is deterministic), some units send filled XLSX templates; without one every
    file is CSV.
    """
    config = config or ScenarioConfig()
    root = Path(out_dir)
    shutil.rmtree(root, ignore_errors=True)
    builder = _Builder(root, config, conn)
    scenario = builder.scenario
    scenario.reference_dir.mkdir(parents=True)
    scenario.landing_dir.mkdir(parents=True)

    communes, districts = _reference_units(builder, config)
    _plan(builder, config, communes, districts)
    for name, rows in [("reporting_units.csv", builder.units), ("focal_points.csv", builder.focal_points),
                       ("assignments.csv", builder.assignments), ("targets.csv", builder.targets)]:
        _write_reference(scenario.reference_dir, name, rows)
    if not with_submissions:
        return scenario
    return _send_submissions(builder, communes, districts, conn)


def _send_submissions(builder: _Builder, communes: list[str], districts: list[str], conn) -> Scenario:
    config, scenario = builder.config, builder.scenario
    province_key = unit_key(POST, "province", config.province_code)
    locks = _lock_dates(builder.calendar, province_key)
    landing = _Landing(scenario.landing_dir, scenario, conn, builder.rng, config.xlsx_share)
    _send_history(builder, landing, communes + list(DEPARTMENTS), config.year - 1)
    _send_history(builder, landing, districts, config.year - 2)
    _send_current_year(builder, landing, config, communes, locks)
    _send_departments(builder, landing, config, communes, locks)
    (scenario.root / "planted.json").write_text(
        json.dumps({"config": {"province_code": config.province_code, "year": config.year,
                               "as_of": config.as_of.isoformat(), "seed": config.seed},
                    "clean_unit_code": scenario.clean_unit_code,
                    "planted": [asdict(p) for p in scenario.planted]},
                   ensure_ascii=False, indent=1),
        encoding="utf-8")
    return scenario
