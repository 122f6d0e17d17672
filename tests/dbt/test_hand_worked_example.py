"""The marts reproduce the hand-worked example in docs/hand-worked-example.md exactly."""

from __future__ import annotations

import re
from decimal import Decimal

from warehouse.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "hand-worked-example.md"
DISTRICT = "pre_2025:district:550"


def documented_rows() -> tuple[list[str], list[list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- hand-worked:start -->\n(.*?)<!-- hand-worked:end -->", text, re.S).group(1)
    lines = [line.strip().strip("|").split("|") for line in block.strip().splitlines()]
    header = [cell.strip() for cell in lines[0]]
    rows = [[cell.strip() for cell in line] for line in lines[2:]]
    return header, rows


def as_text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def test_documented_table_is_reproduced_exactly(marts):
    header, rows = documented_rows()
    assert len(rows) == 16
    columns = ", ".join(header)
    for row in rows:
        expected = dict(zip(header, row, strict=True))
        found = marts.execute(
            f"select {columns} from marts.fct_indicator_performance"
            " where admin_unit_key = %s and indicator_code = %s and period_code = %s",
            (DISTRICT, expected["indicator_code"], expected["period_code"]),
        ).fetchall()
        assert len(found) == 1, expected
        actual = {name: as_text(value) for name, value in zip(header, found[0], strict=True)}
        # Numbers compare as decimals (4.0 == 4.00), everything else as text.
        for name in header:
            want, got = expected[name], actual[name]
            if re.fullmatch(r"-?\d+(\.\d+)?", want):
                assert Decimal(got) == Decimal(want), (expected["indicator_code"], expected["period_code"], name, got)
            else:
                assert got == want, (expected["indicator_code"], expected["period_code"], name, got)


def test_percentages_are_stored_to_two_decimals(marts):
    scales = marts.execute(
        "select distinct scale(pct_of_period_target) from marts.fct_indicator_performance"
        " where admin_unit_key = %s and pct_of_period_target is not null",
        (DISTRICT,),
    ).fetchall()
    assert scales == [(2,)]


def test_poor_household_rate_is_not_rolled_up_without_its_weight(marts):
    row = marts.execute(
        "select value_source, expected_units, reported_units, actual_period, status"
        " from marts.fct_indicator_performance where admin_unit_key = 'pre_2025:province:52'"
        " and indicator_code = 'POOR_HOUSEHOLD_RATE' and period_code = '2024-Q1'"
    ).fetchone()
    assert row == ("rolled_up", 1, 0, None, "chua_bao_cao")
