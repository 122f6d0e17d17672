"""Reference lookups for one intake batch, read once: validation then runs on sets and dicts.

A batch of a thousand files checks a hundred thousand rows; a query per row would cost more
than the load itself.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Unit:
    unit_code: str
    unit_name: str
    unit_type: str
    province_key: str


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    name_vi: str
    unit_of_measure: str
    value_kind: str
    min_value: Decimal | None
    max_value: Decimal | None
    # Bounds a value must keep (a percentage defaults to 0-100), set from the two above.
    low: Decimal | None = field(init=False, repr=False)
    high: Decimal | None = field(init=False, repr=False)

    def __post_init__(self):
        share = self.value_kind == "percentage"
        low = Decimal(0) if share and self.min_value is None else self.min_value
        high = Decimal(100) if share and self.max_value is None else self.max_value
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def is_percentage(self) -> bool:
        """A share of a whole (0-100); a growth rate in % is not one (it can pass 100)."""
        return self.value_kind == "percentage"

    @property
    def in_percent(self) -> bool:
        """Measured in %: a typed value may carry a % sign."""
        return self.unit_of_measure.strip() == "%"


@dataclass(frozen=True)
class Lock:
    meeting_date: date
    lock_date: date

    @property
    def locked_from(self) -> datetime:
        """Entry for the period is locked from 00:00 of the lock date, Vietnam time."""
        return datetime.combine(self.lock_date, time(), LOCAL_TZ)


@dataclass
class Catalog:
    units: dict[str, Unit] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    # (unit_code, plan_year) -> indicator codes assigned
    assigned: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)
    locks: dict[tuple[str, str], Lock] = field(default_factory=dict)
    # unit_code -> [(valid_from, email)] sorted by valid_from
    focal_points: dict[str, list[tuple[date, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: psycopg.Connection) -> Catalog:
        """Read the reference tables the intake checks against."""
        catalog = cls()
        for row in conn.execute(
            "select unit_code, unit_name, unit_type, province_key from reference.reporting_unit"
        ):
            catalog.units[row[0]] = Unit(*row)
        for row in conn.execute(
            "select indicator_code, name_vi, unit_of_measure, value_kind, min_value, max_value"
            " from reference.indicator"
        ):
            catalog.indicators[row[0]] = Indicator(*row)
        assigned: dict[tuple[str, int], set[str]] = {}
        for unit_code, indicator_code, year in conn.execute(
            "select unit_code, indicator_code, plan_year from reference.assignment"
        ):
            assigned.setdefault((unit_code, year), set()).add(indicator_code)
        catalog.assigned = {key: frozenset(codes) for key, codes in assigned.items()}
        for province_key, period_code, meeting_date, lock_date in conn.execute(
            "select province_key, period_code, meeting_date, lock_date from reference.period_lock"
        ):
            catalog.locks[(province_key, period_code)] = Lock(meeting_date, lock_date)
        for unit_code, valid_from, email in conn.execute(
            "select unit_code, valid_from, email from reference.focal_point order by unit_code, valid_from"
        ):
            catalog.focal_points.setdefault(unit_code, []).append((valid_from, email))
        return catalog

    def lock_for(self, unit_code: str, period_code: str) -> Lock | None:
        unit = self.units.get(unit_code)
        return self.locks.get((unit.province_key, period_code)) if unit else None

    def focal_point_email(self, unit_code: str, on: date) -> str | None:
        """The e-mail of the unit's focal point in office on that day, if any."""
        history = self.focal_points.get(unit_code)
        if not history:
            return None
        index = bisect.bisect_right([start for start, _ in history], on) - 1
        return history[index][1] if index >= 0 else None
