"""Reporting periods: codes, calendar bounds and the administrative data cut-off.

Codes: ``2026-03`` (month), ``2026-Q1`` (quarter), ``2026-H1`` (six months), ``2026-9M``
(nine months), ``2026`` (year). Statistical indicators follow the calendar; administrative
reports cut data off mid-month (Decree 09/2019/ND-CP, Art. 12): the cut-off is data of the
calendar, never hard-coded in models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|(?P<half>H1)|(?P<nine>9M)))?$")
CUTOFF_DAY = 15  # data of a period runs from the 15th of the month before to the 14th


@dataclass(frozen=True)
class Period:
    code: str
    period_type: str
    year: int
    first_month: int
    last_month: int

    @property
    def calendar_start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def calendar_end(self) -> date:
        if self.last_month == 12:
            return date(self.year, 12, 31)
        return date(self.year, self.last_month + 1, 1) - timedelta(days=1)

    @property
    def admin_cutoff_start(self) -> date:
        # Periods that accumulate from January start at 15 December of the previous year.
        if self.period_type in ("half_year", "nine_months", "year") or self.first_month == 1:
            return date(self.year - 1, 12, CUTOFF_DAY)
        return date(self.year, self.first_month - 1, CUTOFF_DAY)

    @property
    def admin_cutoff_end(self) -> date:
        return date(self.year, self.last_month, CUTOFF_DAY - 1)

    @property
    def quarter(self) -> int:
        return (self.last_month - 1) // 3 + 1


class InvalidPeriod(ValueError):
    pass


def parse_period(code: str) -> Period:
    """Parse a period code; raise InvalidPeriod with the offending text."""
    match = PERIOD_PATTERN.match(code.strip()) if isinstance(code, str) else None
    if not match:
        raise InvalidPeriod(f"period {code!r} is not YYYY, YYYY-MM, YYYY-Qn, YYYY-H1 or YYYY-9M")
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"period {code!r} has month {month}, not 01-12")
        return Period(code, "month", year, month, month)
    if match["quarter"]:
        q = int(match["quarter"])
        return Period(code, "quarter", year, 3 * q - 2, 3 * q)
    if match["half"]:
        return Period(code, "half_year", year, 1, 6)
    if match["nine"]:
        return Period(code, "nine_months", year, 1, 9)
    return Period(code, "year", year, 1, 12)


def periods_of_year(year: int) -> list[Period]:
    """All reporting periods of a year: 12 months, 4 quarters, H1, 9M and the year."""
    codes = [f"{year}-{m:02d}" for m in range(1, 13)]
    codes += [f"{year}-Q{q}" for q in range(1, 5)] + [f"{year}-H1", f"{year}-9M", str(year)]
    return [parse_period(code) for code in codes]
