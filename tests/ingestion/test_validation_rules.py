"""Each validation rule, with a real file (CSV, and an XLSX from the template generator) on PostgreSQL.

Every case drops one bad file in the landing folder and runs the intake: the file is rejected,
nothing of it is loaded, it moves to rejected/ with its reports, and the problem names the file,
sheet, row, column, value and rule.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ingestion.templates import DATA_SHEET, FIRST_DATA_ROW, META_SHEET
from tests.ingestion.conftest import (
    JANUARY_ON_TIME,
    count,
    ingest,
    received,
    write_csv_file,
    write_xlsx_file,
)

GOOD = "XA_QUY_NHON,2026-01,JOBS_CREATED,105,"
VALUE = "G (Thực hiện)"
CODE = "B (Mã chỉ tiêu)"


def csv_case(*rows, header="unit_code,period,indicator_code,value,note", encoding="utf-8"):
    def make(conn, templates, landing):
        return write_csv_file(landing, "bao_cao.csv", *rows, header=header, encoding=encoding)
    return make


def raw_case(name: str, data: bytes):
    def make(conn, templates, landing):
        path = landing / name
        path.write_bytes(data)
        return received(path, JANUARY_ON_TIME)
    return make


def xlsx_case(values: dict, edit=None, notes=None):
    def make(conn, templates, landing):
        path = write_xlsx_file(conn, templates, landing, "bao_cao.xlsx", values, notes)
        if edit:
            workbook = load_workbook(path)
            edit(workbook)
            workbook.save(path)
            received(path, JANUARY_ON_TIME)
        return path
    return make


def set_meta(key: str, value):
    def edit(workbook):
        for row in workbook[META_SHEET].iter_rows():
            if row[0].value == key:
                row[1].value = value
    return edit


def data_row_of(workbook, code: str) -> int:
    sheet = workbook[DATA_SHEET]
    return next(r for r in range(FIRST_DATA_ROW, sheet.max_row + 1) if sheet.cell(r, 2).value == code)


def duplicate_jobs_row(workbook):
    sheet = workbook[DATA_SHEET]
    new = sheet.max_row + 1
    sheet.cell(new, 2, "JOBS_CREATED")
    sheet.cell(new, 7, 7)


def rename_value_header(workbook):
    workbook[DATA_SHEET]["G7"] = "Số liệu"


def drop_meta(workbook):
    del workbook[META_SHEET]


def date_in_jobs(workbook):
    workbook[DATA_SHEET].cell(data_row_of(workbook, "JOBS_CREATED"), 7, datetime(2026, 5, 1))


CASES = {
    # --- CSV -------------------------------------------------------------------------------------
    "csv_unknown_unit": (csv_case("XA_KHONG_CO,2026-01,JOBS_CREATED,5,"),
                         dict(rule="unit_unknown", row=2, column="unit_code", value="XA_KHONG_CO")),
    "csv_unknown_indicator": (csv_case(GOOD, "XA_QUY_NHON,2026-01,CHI_TIEU_LA,5,"),
                              dict(rule="indicator_unknown", row=3, column="indicator_code", value="CHI_TIEU_LA")),
    "csv_not_assigned": (csv_case(GOOD, "XA_QUY_NHON,2026-01,EXPORT_TURNOVER,5,"),
                         dict(rule="not_assigned", row=3, column="indicator_code", value="EXPORT_TURNOVER")),
    "csv_period_month_13": (csv_case("XA_QUY_NHON,2026-13,JOBS_CREATED,5,"),
                            dict(rule="period_malformed", row=2, column="period", value="2026-13")),
    "csv_period_slash": (csv_case("XA_QUY_NHON,2026/01,JOBS_CREATED,5,"),
                         dict(rule="period_malformed", row=2, column="period", value="2026/01")),
    "csv_period_half_year": (csv_case("XA_QUY_NHON,2026-H1,JOBS_CREATED,5,"),
                             dict(rule="period_malformed", row=2, value="2026-H1")),
    "csv_outside_assignment_year": (csv_case("XA_QUY_NHON,2027-01,JOBS_CREATED,5,"),
                                    dict(rule="outside_assignment_year", row=2, column="period", value="2027-01")),
    "csv_mixed_units": (csv_case(GOOD, "XA_AN_NHON,2026-01,BUDGET_REVENUE,5,"),
                        dict(rule="mixed_unit", row=3, column="unit_code", value="XA_AN_NHON")),
    "csv_mixed_periods": (csv_case(GOOD, "XA_QUY_NHON,2026-02,BUDGET_REVENUE,5,"),
                          dict(rule="mixed_period", row=3, column="period", value="2026-02")),
    "csv_duplicate_rows": (csv_case(GOOD, "XA_QUY_NHON,2026-01,BUDGET_REVENUE,5,", GOOD),
                           dict(rule="duplicate_row", row=4, column="indicator_code", value="JOBS_CREATED")),
    "csv_value_not_number": (csv_case(GOOD, "XA_QUY_NHON,2026-01,BUDGET_REVENUE,abc,"),
                             dict(rule="value_not_number", row=3, column="value", value="abc")),
    "csv_value_decimal_comma": (csv_case('XA_QUY_NHON,2026-01,BUDGET_REVENUE,"1784,4",'),
                                dict(rule="value_not_number", row=2, column="value", value="1784,4")),
    "csv_value_missing": (csv_case(GOOD, "XA_QUY_NHON,2026-01,BUDGET_REVENUE,,chưa có số liệu"),
                          dict(rule="value_missing", row=3, column="value")),
    "csv_negative": (csv_case("XA_QUY_NHON,2026-01,JOBS_CREATED,-5,"),
                     dict(rule="negative", row=2, column="value", value="-5")),
    "csv_percentage_over_100": (csv_case("XA_QUY_NHON,2026-01,TRAINED_LABOUR_RATE,105,"),
                                dict(rule="percentage_range", row=2, column="value", value="105")),
    "csv_growth_below_minus_100": (csv_case("THONG_KE_GIA_LAI,2026-Q1,GRDP_GROWTH,-101,"),
                                   dict(rule="out_of_range", row=2, column="value", value="-101")),
    "csv_rank_out_of_range": (csv_case("SO_TAI_CHINH,2026-Q1,PCI_RANK,70,"),
                              dict(rule="out_of_range", row=2, column="value", value="70")),
    "csv_wrong_header": (csv_case(GOOD, header="unit,period,indicator,value,note"),
                         dict(rule="header", row=1, value="unit,period,indicator,value,note")),
    "csv_missing_header": (csv_case(GOOD, header="XA_QUY_NHON,2026-01,BUDGET_REVENUE,5,"),
                           dict(rule="header", row=1)),
    "csv_field_count": (csv_case("XA_QUY_NHON,2026-01,BUDGET_REVENUE,1,784.4,"),
                        dict(rule="columns", row=2)),
    "csv_empty_file": (raw_case("bao_cao.csv", b""), dict(rule="empty")),
    "csv_header_only": (raw_case("bao_cao.csv", b"unit_code,period,indicator_code,value,note\n"),
                        dict(rule="empty")),
    # Windows' Vietnamese code page (decomposed tone marks), as old Excel versions save CSV.
    "csv_not_utf8": (csv_case(unicodedata.normalize("NFD", "XA_QUY_NHON,2026-01,JOBS_CREATED,5,Đã rà soát"),
                              encoding="cp1258"),
                     dict(rule="encoding", row=2)),
    "csv_utf16": (csv_case(GOOD, encoding="utf-16"), dict(rule="encoding", row=1)),
    "not_csv_or_xlsx": (raw_case("bao_cao.pdf", b"%PDF-1.4"), dict(rule="unsupported_format", value=".pdf")),
    # --- XLSX from the template generator --------------------------------------------------------
    "xlsx_unknown_unit": (xlsx_case({"JOBS_CREATED": 5}, set_meta("unit_code", "XA_KHONG_CO")),
                          dict(rule="unit_unknown", sheet=META_SHEET, row=2, column="B", value="XA_KHONG_CO")),
    "xlsx_unknown_indicator": (xlsx_case({"JOBS_CREATED": 5, "CHI_TIEU_LA": 3}),
                               dict(rule="indicator_unknown", sheet=DATA_SHEET, column=CODE, value="CHI_TIEU_LA")),
    "xlsx_not_assigned": (xlsx_case({"JOBS_CREATED": 5, "EXPORT_TURNOVER": 3}),
                          dict(rule="not_assigned", sheet=DATA_SHEET, column=CODE, value="EXPORT_TURNOVER")),
    "xlsx_period_malformed": (xlsx_case({"JOBS_CREATED": 5}, set_meta("period_code", "2026-13")),
                              dict(rule="period_malformed", sheet=META_SHEET, row=4, column="B", value="2026-13")),
    "xlsx_outside_assignment_year": (xlsx_case({"JOBS_CREATED": 5}, set_meta("period_code", "2027-01")),
                                     dict(rule="outside_assignment_year", sheet=META_SHEET, value="2027-01")),
    "xlsx_duplicate_rows": (xlsx_case({"JOBS_CREATED": 5}, duplicate_jobs_row),
                            dict(rule="duplicate_row", sheet=DATA_SHEET, column=CODE, value="JOBS_CREATED")),
    "xlsx_value_not_number": (xlsx_case({"JOBS_CREATED": "n/a"}),
                              dict(rule="value_not_number", sheet=DATA_SHEET, column=VALUE, value="n/a")),
    "xlsx_value_stored_as_date": (xlsx_case({"BUDGET_REVENUE": 5}, date_in_jobs),
                                  dict(rule="value_not_number", sheet=DATA_SHEET, column=VALUE)),
    "xlsx_value_ambiguous": (xlsx_case({"JOBS_CREATED": "1.784"}),
                             dict(rule="value_ambiguous", sheet=DATA_SHEET, column=VALUE, value="1.784")),
    "xlsx_percent_sign_on_a_count": (xlsx_case({"JOBS_CREATED": "5%"}),
                                     dict(rule="value_not_number", column=VALUE, value="5%")),
    "xlsx_negative": (xlsx_case({"TRAFFIC_ACCIDENTS": -3}),
                      dict(rule="negative", sheet=DATA_SHEET, column=VALUE, value="-3")),
    "xlsx_percentage_over_100": (xlsx_case({"TRAINED_LABOUR_RATE": "105,5%"}),
                                 dict(rule="percentage_range", sheet=DATA_SHEET, column=VALUE, value="105,5%")),
    "xlsx_wrong_header": (xlsx_case({"JOBS_CREATED": 5}, rename_value_header),
                          dict(rule="header", sheet=DATA_SHEET, row=7, column=VALUE, value="Số liệu")),
    "xlsx_missing_template_version": (xlsx_case({"JOBS_CREATED": 5}, drop_meta),
                                      dict(rule="template_version")),
    "xlsx_wrong_template_version": (xlsx_case({"JOBS_CREATED": 5}, set_meta("template_version", "kpi-xlsx-v0")),
                                    dict(rule="template_version", sheet=META_SHEET, row=1, value="kpi-xlsx-v0")),
    "xlsx_nothing_entered": (xlsx_case({}), dict(rule="empty", sheet=DATA_SHEET)),
    "xlsx_empty_file": (raw_case("bao_cao.xlsx", b""), dict(rule="empty")),
    "xlsx_unreadable": (raw_case("bao_cao.xlsx", b"unit_code,period\nnot,a workbook\n"), dict(rule="unreadable")),
}


def _matches(problem: dict, expected: dict) -> bool:
    return all(problem.get(key) == value for key, value in expected.items())


@pytest.mark.parametrize("case", CASES)
def test_bad_file_is_rejected_with_its_problem_located(case, conn, template_dir, landing, intake_url):
    make, expected = CASES[case]
    path: Path = make(conn, template_dir, landing)
    summary = ingest(landing, intake_url)
    assert summary.as_dict()["rejected"] == 1 and summary.loaded == 0, summary.results[0].report()
    (result,) = summary.results
    problems = [p.as_dict() for p in result.errors]
    assert any(_matches(p, {"file": path.name, **expected}) for p in problems), problems
    # Nothing loaded; the file and its reports are in rejected/; the warehouse keeps the report.
    assert count(conn, "raw.submission_value") == 0
    stored = landing / "rejected" / path.name
    assert stored.exists() and not path.exists()
    report = json.loads((landing / "rejected" / f"{path.name}.report.json").read_text(encoding="utf-8"))
    assert report["status"] == "rejected"
    assert any(_matches(p, expected) for p in report["problems"])
    text = (landing / "rejected" / f"{path.name}.report.txt").read_text(encoding="utf-8")
    assert f"[{expected['rule']}" in text and "Nothing from this file was loaded" in text
    status, problem_count, rules = conn.execute(
        "select status, problem_count, array(select p ->> 'rule' from jsonb_array_elements(report) as p)"
        " from raw.submission_file"
    ).fetchone()
    assert status == "rejected" and problem_count >= 1 and expected["rule"] in rules


def test_every_problem_of_a_file_is_listed_not_just_the_first(conn, landing, intake_url):
    write_csv_file(
        landing, "nhieu_loi.csv",
        "XA_QUY_NHON,2026-01,JOBS_CREATED,-1,",
        "XA_QUY_NHON,2026-01,CHI_TIEU_LA,3,",
        "XA_QUY_NHON,2026-01,BUDGET_REVENUE,ba mươi,",
        "XA_QUY_NHON,2026-02,TRAINED_LABOUR_RATE,101,",
        "XA_QUY_NHON,2026-01,EXPORT_TURNOVER,2,",
        "XA_QUY_NHON,2026-01,TRAFFIC_ACCIDENTS,1,",
        "XA_QUY_NHON,2026-01,TRAFFIC_ACCIDENTS,2,",
    )
    (result,) = ingest(landing, intake_url).results
    assert sorted((p.row, p.rule) for p in result.errors) == [
        (2, "negative"), (3, "indicator_unknown"), (4, "value_not_number"), (5, "mixed_period"),
        (5, "percentage_range"), (6, "not_assigned"), (8, "duplicate_row"),
    ]
    assert count(conn, "raw.submission_value") == 0
