"""Templates pre-filled from the unit's assignment and targets, read back by the intake reader."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingestion.readers import read_xlsx
from ingestion.templates import (
    DATA_SHEET,
    FIRST_DATA_ROW,
    HEADER,
    HEADER_ROW,
    META_SHEET,
    TEMPLATE_VERSION,
    build_template,
    fill_template,
    write_template,
)


def _rows(sheet):
    return {sheet.cell(r, 2).value: [sheet.cell(r, c).value for c in range(1, 9)]
            for r in range(FIRST_DATA_ROW, sheet.max_row + 1)}


def test_template_lists_the_assigned_indicators_with_targets(conn):
    workbook = build_template(conn, "XA_QUY_NHON", "2026-01")
    sheet = workbook[DATA_SHEET]
    assert [sheet.cell(HEADER_ROW, c).value for c in range(1, 9)] == list(HEADER)
    rows = _rows(sheet)
    assert set(rows) == {"JOBS_CREATED", "BUDGET_REVENUE", "TOTAL_SOCIAL_INVESTMENT", "TRAINED_LABOUR_RATE",
                         "POOR_HOUSEHOLD_RATE", "TRAFFIC_ACCIDENTS"}
    _, code, name, unit, period_target, annual_target, actual, note = rows["BUDGET_REVENUE"]
    assert name == "Thu ngân sách nhà nước trên địa bàn"
    assert unit == "tỷ đồng"
    assert period_target == Decimal("75.5")  # the revised target (decided 2026-01-10), not the first one
    assert annual_target == Decimal("850.5")
    assert actual is None and note is None
    assert rows["TRAINED_LABOUR_RATE"][4] is None  # no monthly target for a quarterly indicator
    assert "Phường Quy Nhơn" in sheet["A2"].value and "Tháng 01/2026" in sheet["A3"].value
    assert "02/02/2026" in sheet["A4"].value  # lock date: meeting of 5 February minus 3 days


def test_template_has_hidden_metadata_validation_and_only_input_cells_unlocked(conn):
    workbook = build_template(conn, "SO_TAI_CHINH", "2026-Q1")
    meta = workbook[META_SHEET]
    assert meta.sheet_state == "hidden"
    values = {row[0]: row[1] for row in meta.iter_rows(values_only=True)}
    assert values["template_version"] == TEMPLATE_VERSION
    assert (values["unit_code"], values["period_code"]) == ("SO_TAI_CHINH", "2026-Q1")
    sheet = workbook[DATA_SHEET]
    assert sheet.protection.sheet
    rows = _rows(sheet)
    pci_row = FIRST_DATA_ROW + list(rows).index("PCI_RANK")
    assert not sheet.cell(pci_row, 7).protection.locked and not sheet.cell(pci_row, 8).protection.locked
    assert sheet.cell(pci_row, 2).protection.locked
    covering = [dv for dv in sheet.data_validations.dataValidation if f"G{pci_row}" in dv.sqref]
    assert len(covering) == 1
    rank = covering[0]
    assert (rank.type, rank.operator, rank.formula1, rank.formula2) == ("decimal", "between", "1", "63")
    every_input = {f"G{r}" for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows))}
    validated = {cell for dv in sheet.data_validations.dataValidation if dv.type == "decimal"
                 for cell in every_input if cell in dv.sqref}
    assert validated == every_input


def test_template_refuses_unknown_unit_unassigned_year_and_non_submission_period(conn):
    with pytest.raises(ValueError, match="not in reference.reporting_unit"):
        build_template(conn, "XA_KHONG_CO", "2026-01")
    with pytest.raises(ValueError, match="no indicator assigned for 2027"):
        build_template(conn, "XA_QUY_NHON", "2027-01")
    with pytest.raises(ValueError, match="month"):
        build_template(conn, "XA_QUY_NHON", "2026-H1")


def test_written_templates_are_deterministic_and_read_back(conn, tmp_path):
    first = write_template(conn, "XA_AN_NHON", "2026-01", tmp_path / "a")
    second = write_template(conn, "XA_AN_NHON", "2026-01", tmp_path / "b.xlsx")
    assert first.name == "XA_AN_NHON_2026-01.xlsx"
    assert first.read_bytes() == second.read_bytes()
    blank = read_xlsx(first.name, first.read_bytes())
    assert [p.rule for p in blank.errors] == ["empty"]  # nothing typed yet
    assert (blank.unit_code, blank.period_code, blank.template_version) == ("XA_AN_NHON", "2026-01",
                                                                            TEMPLATE_VERSION)


def test_fill_template_types_values_and_appends_codes_the_template_lacks(conn, tmp_path):
    template = write_template(conn, "XA_AN_NHON", "2026-01", tmp_path)
    filled = fill_template(template, {"JOBS_CREATED": 61, "BUDGET_REVENUE": "31,5", "EXPORT_TURNOVER": 3},
                           {"JOBS_CREATED": "Đạt kế hoạch"}, out_path=tmp_path / "filled.xlsx")
    source = read_xlsx(filled.name, filled.read_bytes())
    assert source.errors == []
    by_code = {row.indicator_code: row for row in source.rows}
    assert by_code["JOBS_CREATED"].value == 61 and by_code["JOBS_CREATED"].note == "Đạt kế hoạch"
    assert by_code["BUDGET_REVENUE"].value == "31,5"
    assert by_code["EXPORT_TURNOVER"].row == max(row.row for row in source.rows)
    assert template.read_bytes() != filled.read_bytes()


def test_writing_a_filled_template_equals_writing_then_filling(conn, tmp_path):
    values, notes = {"JOBS_CREATED": 61, "BUDGET_REVENUE": "31,5"}, {"JOBS_CREATED": "Đạt"}
    template = write_template(conn, "XA_AN_NHON", "2026-01", tmp_path / "two_steps.xlsx")
    two_steps = fill_template(template, values, notes)
    one_step = write_template(conn, "XA_AN_NHON", "2026-01", tmp_path / "one_step.xlsx", values=values, notes=notes)
    assert one_step.read_bytes() == two_steps.read_bytes()
