"""Reference data: real administrative units, the catalogue, and clear errors on bad files."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import REFERENCE_DIR, write_csv
from warehouse.problems import InputFileError
from warehouse.reference import load_reference

UNITS_HEADER = "unit_code,unit_name,unit_type,admin_unit_key"
ASSIGNMENTS_HEADER = "unit_code,indicator_code,plan_year,annual_target,decision_ref"
TARGETS_HEADER = "unit_code,indicator_code,period_code,target_value,decided_on,decision_ref"


@pytest.fixture
def unit_files(tmp_path):
    """A valid set of unit files for one commune of Gia Lai."""
    write_csv(tmp_path / "reporting_units.csv", UNITS_HEADER,
              "XA_QUY_NHON,Phường Quy Nhơn,commune,post_2025:commune:21583")
    write_csv(tmp_path / "focal_points.csv", "unit_code,full_name,email,phone,valid_from",
              "XA_QUY_NHON,Nguyễn Văn An,an@quynhon.gialai.gov.vn,0256 3822 111,2026-01-01")
    write_csv(tmp_path / "assignments.csv", ASSIGNMENTS_HEADER,
              "XA_QUY_NHON,JOBS_CREATED,2026,1200,QĐ 12/QĐ-UBND")
    write_csv(tmp_path / "targets.csv", TARGETS_HEADER,
              "XA_QUY_NHON,JOBS_CREATED,2026-01,100,2025-12-27,QĐ 12/QĐ-UBND")
    return tmp_path


def test_reference_load_holds_real_units_lineage_and_catalogue(db, unit_files):
    counts = load_reference(db, [REFERENCE_DIR, unit_files])
    assert counts["indicator"] >= 25
    level_counts = dict(
        db.execute(
            "select hierarchy || ':' || admin_level, count(*) from reference.admin_unit group by 1"
        ).fetchall()
    )
    assert level_counts["post_2025:province"] == 34
    assert level_counts["post_2025:commune"] == 3321
    assert level_counts["pre_2025:province"] == 63
    assert level_counts["pre_2025:district"] > 600
    assert level_counts["pre_2025:commune"] > 10000
    unmapped = db.execute(
        """select count(*) from reference.admin_unit as legacy
           where legacy.hierarchy = 'pre_2025' and legacy.admin_level = 'commune'
             and not exists (select from reference.admin_unit_lineage as l
                             where l.legacy_unit_key = legacy.admin_unit_key)"""
    ).fetchone()[0]
    assert unmapped == 0
    # Bình Định (legacy 52) and legacy Gia Lai (64) both became the new Gia Lai (52).
    successors = db.execute(
        """select array_agg(l.legacy_unit_key order by l.legacy_unit_key)
           from reference.admin_unit_lineage as l
           where l.new_unit_key = 'post_2025:province:52'
             and l.legacy_unit_key like 'pre_2025:province:%'"""
    ).fetchone()[0]
    assert successors == ["pre_2025:province:52", "pre_2025:province:64"]
    lock = db.execute(
        "select lock_date::text from reference.meeting_calendar where meeting_date = '2026-04-06'"
    ).fetchone()[0]
    assert lock == "2026-04-03"


def _load_expecting_problems(db, directory):
    with pytest.raises(InputFileError) as caught:
        load_reference(db, [REFERENCE_DIR, directory])
    return caught.value.problems


def test_unknown_unit_in_assignment_names_file_row_and_value(db, unit_files):
    write_csv(unit_files / "assignments.csv", ASSIGNMENTS_HEADER,
              "XA_QUY_NHON,JOBS_CREATED,2026,1200,",
              "XA_KHONG_CO,JOBS_CREATED,2026,50,")
    problems = _load_expecting_problems(db, unit_files)
    assert [(p.file.endswith("assignments.csv"), p.row, p.column, p.value) for p in problems] == [
        (True, 3, "unit_code", "XA_KHONG_CO")
    ]
    assert "XA_KHONG_CO" in str(problems[0]) and "row 3" in str(problems[0])


def test_duplicate_indicator_code_is_reported(db, unit_files, tmp_path_factory):
    catalogue = tmp_path_factory.mktemp("catalogue")
    shutil.copy(REFERENCE_DIR / "indicators.csv", catalogue / "indicators.csv")
    lines = (catalogue / "indicators.csv").read_text(encoding="utf-8").splitlines()
    jobs_row = next(i for i, line in enumerate(lines) if line.startswith("JOBS_CREATED,"))
    lines.append(lines[jobs_row])
    (catalogue / "indicators.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_reference(db, [REFERENCE_DIR, catalogue, unit_files])
    (problem,) = caught.value.problems
    assert problem.rule == "duplicate_key"
    assert problem.row == len(lines)
    assert problem.value == "JOBS_CREATED"
    assert f"duplicates row {jobs_row + 1}" in problem.message


def test_target_for_unknown_indicator_is_reported(db, unit_files):
    write_csv(unit_files / "targets.csv", TARGETS_HEADER,
              "XA_QUY_NHON,JOBS_CREATED,2026-01,100,2025-12-27,",
              "XA_QUY_NHON,CHI_TIEU_MA,2026-Q1,5,2025-12-27,")
    (problem,) = _load_expecting_problems(db, unit_files)
    assert (problem.row, problem.column, problem.value) == (3, "indicator_code", "CHI_TIEU_MA")


def test_bad_values_are_all_listed_and_nothing_is_loaded(db, unit_files):
    load_reference(db, [REFERENCE_DIR, unit_files])
    db.commit()
    write_csv(unit_files / "targets.csv", TARGETS_HEADER,
              "XA_QUY_NHON,JOBS_CREATED,2026-13,100,2025-12-27,",
              "XA_QUY_NHON,JOBS_CREATED,2026-02,1.784,4,2025-12-27,",
              "XA_QUY_NHON,JOBS_CREATED,2026-03,abc,2025-12-27,")
    problems = _load_expecting_problems(db, unit_files)
    assert {(p.row, p.column) for p in problems} == {(2, "period_code"), (3, "decided_on"), (4, "target_value")}
    db.rollback()
    assert db.execute("select count(*) from reference.target").fetchone()[0] == 1
