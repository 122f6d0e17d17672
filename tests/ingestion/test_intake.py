"""Loading: lineage, Vietnamese numbers, exactly-once, resubmissions, late versions, mixed batches."""

from __future__ import annotations

import hashlib
import json
import shutil
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ingestion.catalog import LOCAL_TZ
from ingestion.readers import CSV_FORMAT_VERSION
from ingestion.templates import TEMPLATE_VERSION
from tests.ingestion.conftest import (
    JANUARY_LATE,
    JANUARY_ON_TIME,
    count,
    ingest,
    received,
    write_csv_file,
    write_xlsx_file,
)

PROCESSED_AT = datetime(2026, 2, 4, 8, 0, tzinfo=UTC)


def _current(conn, unit="XA_QUY_NHON", period="2026-01"):
    return dict(conn.execute(
        "select indicator_code, value from raw.current_submission_value"
        " where unit_code = %s and period_code = %s", (unit, period)).fetchall())


def test_csv_file_loads_with_its_lineage(conn, landing, intake_url):
    path = write_csv_file(landing, "quy_nhon_2026-01.csv",
                          "XA_QUY_NHON,2026-01,JOBS_CREATED,105,Vượt kế hoạch",
                          "XA_QUY_NHON,2026-01,BUDGET_REVENUE,71.25,",
                          "XA_QUY_NHON,2026-01,TRAINED_LABOUR_RATE,70.4,")
    data = path.read_bytes()
    summary = ingest(landing, intake_url, processed_at=PROCESSED_AT)
    assert summary.as_dict() == {"files_seen": 1, "loaded": 1, "rejected": 0, "duplicates": 0,
                                 "rows_loaded": 3, "late": 0, "failed": 0, "rejected_files": []}
    row = conn.execute(
        "select file_name, sha256, file_format, size_bytes, received_at, processed_at, status, unit_code,"
        " period_code, template_version, focal_point_email, row_count, problem_count, is_late, stored_path"
        " from raw.submission_file").fetchone()
    assert row[:4] == ("quy_nhon_2026-01.csv", hashlib.sha256(data).hexdigest(), "csv", len(data))
    assert row[4] == JANUARY_ON_TIME and row[5] == PROCESSED_AT
    assert row[6:] == ("loaded", "XA_QUY_NHON", "2026-01", CSV_FORMAT_VERSION, "an.nv@quynhon.gialai.gov.vn",
                       3, 0, False, str(landing / "processed" / "quy_nhon_2026-01.csv"))
    assert _current(conn) == {"JOBS_CREATED": Decimal("105"), "BUDGET_REVENUE": Decimal("71.25"),
                              "TRAINED_LABOUR_RATE": Decimal("70.4")}
    assert conn.execute("select note from raw.submission_value where source_row = 2").fetchone() == ("Vượt kế hoạch",)
    assert sorted(p.name for p in (landing / "processed").iterdir()) == [
        "quy_nhon_2026-01.csv", "quy_nhon_2026-01.csv.report.json", "quy_nhon_2026-01.csv.report.txt"]
    assert sorted(p.name for p in landing.iterdir()) == ["processed", "rejected"]


def test_csv_with_bom_and_decomposed_text_loads_as_nfc(conn, landing, intake_url):
    note = unicodedata.normalize("NFD", "Đã rà soát số liệu")
    path = landing / "bom.csv"
    path.write_bytes("\ufeffunit_code,period,indicator_code,value,note\r\n".encode()
                     + f"XA_AN_NHON,2026-01,JOBS_CREATED,61,{note}\r\n".encode())
    received(path, JANUARY_ON_TIME)
    assert ingest(landing, intake_url).loaded == 1
    (stored,) = conn.execute("select note from raw.submission_value").fetchone()
    assert stored == "Đã rà soát số liệu" and unicodedata.is_normalized("NFC", stored)


def test_xlsx_text_numbers_are_read_by_vietnamese_convention(conn, template_dir, landing, intake_url):
    write_xlsx_file(conn, template_dir, landing, "quy_nhon.xlsx",
                    {"JOBS_CREATED": 105, "BUDGET_REVENUE": "1.784,4", "TRAINED_LABOUR_RATE": "7,27%",
                     "POOR_HOUSEHOLD_RATE": 1.25},
                    {"JOBS_CREATED": unicodedata.normalize("NFD", "Vượt kế hoạch tháng")})
    summary = ingest(landing, intake_url)
    assert summary.loaded == 1 and summary.rows_loaded == 4
    rows = {code: (value, note, typed) for code, value, note, typed in conn.execute(
        "select indicator_code, value, note, value_text from raw.submission_value")}
    assert rows["BUDGET_REVENUE"] == (Decimal("1784.4"), None, "1.784,4")
    assert rows["TRAINED_LABOUR_RATE"] == (Decimal("7.27"), None, "7,27%")
    assert rows["JOBS_CREATED"] == (Decimal("105"), "Vượt kế hoạch tháng", None)
    assert rows["POOR_HOUSEHOLD_RATE"][0] == Decimal("1.25")
    assert conn.execute("select template_version from raw.submission_file").fetchone() == (TEMPLATE_VERSION,)


def test_growth_rates_in_percent_may_be_negative_or_pass_100(conn, template_dir, landing, intake_url):
    write_xlsx_file(conn, template_dir, landing, "thong_ke.xlsx",
                    {"GRDP_GROWTH": "-2,5%", "INDUSTRIAL_PRODUCTION_INDEX_GROWTH": "152,3"},
                    unit="THONG_KE_GIA_LAI", period="2026-Q1")
    assert ingest(landing, intake_url).loaded == 1
    assert dict(conn.execute("select indicator_code, value from raw.submission_value").fetchall()) == {
        "GRDP_GROWTH": Decimal("-2.5"), "INDUSTRIAL_PRODUCTION_INDEX_GROWTH": Decimal("152.3")}


def test_note_without_value_is_a_warning_and_the_rest_loads(conn, template_dir, landing, intake_url):
    write_xlsx_file(conn, template_dir, landing, "giai_trinh.xlsx", {"JOBS_CREATED": 90},
                    {"TRAFFIC_ACCIDENTS": "Chưa có số liệu của công an"})
    (result,) = ingest(landing, intake_url).results
    assert result.status == "loaded" and result.rows_loaded == 1
    assert [w.rule for w in result.warnings] == ["note_without_value"]
    assert conn.execute("select warning_count from raw.submission_file").fetchone() == (1,)


def test_same_file_twice_loads_once(conn, landing, intake_url):
    first = write_csv_file(landing, "quy_nhon.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,105,")
    content = first.read_bytes()
    assert ingest(landing, intake_url).loaded == 1
    # The same content again, under another name and a later time: nothing new.
    again = landing / "quy_nhon (1).csv"
    again.write_bytes(content)
    received(again, JANUARY_ON_TIME + timedelta(days=1))
    summary = ingest(landing, intake_url)
    assert (summary.loaded, summary.duplicates, summary.rows_loaded) == (0, 1, 0)
    assert summary.results[0].duplicate_of["file_name"] == "quy_nhon.csv"
    assert (count(conn, "raw.submission_file"), count(conn, "raw.submission_value")) == (1, 1)
    report = json.loads((landing / "processed" / "quy_nhon (1).csv.report.json").read_text(encoding="utf-8"))
    assert report["status"] == "duplicate" and report["duplicate_of"]["file_name"] == "quy_nhon.csv"
    # And twice within one batch: the second copy is a duplicate of the first.
    write_csv_file(landing, "an_nhon.csv", "XA_AN_NHON,2026-01,JOBS_CREATED,60,")
    shutil.copy2(landing / "an_nhon.csv", landing / "an_nhon_copy.csv")
    summary = ingest(landing, intake_url)
    assert (summary.loaded, summary.duplicates) == (1, 1)
    assert count(conn, "raw.submission_value") == 2


def test_same_batch_twice_changes_nothing(conn, template_dir, landing, intake_url, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    write_csv_file(batch, "quy_nhon.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,105,")
    write_csv_file(batch, "an_nhon.csv", "XA_AN_NHON,2026-01,JOBS_CREATED,61,")
    write_csv_file(batch, "sai.csv", "XA_KHONG_CO,2026-01,JOBS_CREATED,1,")
    write_xlsx_file(conn, template_dir, batch, "stc.xlsx", {"BUDGET_REVENUE": "2.612,5"}, unit="SO_TAI_CHINH")
    shutil.copytree(batch, landing, dirs_exist_ok=True)
    first = ingest(landing, intake_url)
    assert (first.loaded, first.rejected, first.rows_loaded) == (3, 1, 3)

    def snapshot():
        return (conn.execute("select array_agg(row(f.*)::text order by file_id) from raw.submission_file as f").fetchone(),
                conn.execute("select array_agg(row(v.*)::text order by file_id, source_row)"
                             " from raw.submission_value as v").fetchone())

    before = snapshot()
    reports_before = {p.name: p.read_bytes() for p in landing.rglob("*.report.*")}
    shutil.copytree(batch, landing, dirs_exist_ok=True)  # the whole batch lands again
    second = ingest(landing, intake_url)
    assert (second.files_seen, second.loaded, second.rejected, second.duplicates, second.rows_loaded) == (4, 0, 0, 4, 0)
    assert snapshot() == before
    assert {p.name: p.read_bytes() for p in landing.rglob("*.report.*")} == reports_before
    assert sorted(p.name for p in landing.iterdir()) == ["processed", "rejected"]
    assert ingest(landing, intake_url).files_seen == 0


def test_resubmission_is_a_new_version_and_a_late_one_is_kept_but_not_current(conn, landing, intake_url):
    write_csv_file(landing, "v1.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,100,",
                   "XA_QUY_NHON,2026-01,BUDGET_REVENUE,70,", when=JANUARY_ON_TIME)
    write_csv_file(landing, "v2.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,104,đã sửa",
                   when=JANUARY_ON_TIME + timedelta(days=5))
    assert ingest(landing, intake_url).loaded == 2
    assert _current(conn) == {"JOBS_CREATED": Decimal("104"), "BUDGET_REVENUE": Decimal("70")}

    # After the lock (2 February, 00:00 Vietnam time): loaded, marked late, not in force.
    write_csv_file(landing, "v3.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,130,", when=JANUARY_LATE)
    summary = ingest(landing, intake_url)
    assert (summary.loaded, summary.late, summary.rejected) == (1, 1, 0)
    (result,) = summary.results
    assert [w.rule for w in result.warnings] == ["after_lock"] and "2026-02-02" in result.warnings[0].message
    versions = conn.execute(
        "select file_name, value, version, is_late, lock_date::text from raw.submission_value_version"
        " where indicator_code = 'JOBS_CREATED' order by version").fetchall()
    assert versions == [("v1.csv", Decimal("100"), 1, False, "2026-02-02"),
                        ("v2.csv", Decimal("104"), 2, False, "2026-02-02"),
                        ("v3.csv", Decimal("130"), 3, True, "2026-02-02")]
    assert conn.execute("select is_late from raw.submission_file where file_name = 'v3.csv'").fetchone() == (True,)
    assert _current(conn)["JOBS_CREATED"] == Decimal("104")
    text = (landing / "processed" / "v3.csv.report.txt").read_text(encoding="utf-8")
    assert "LATE" in text and "after_lock" in text


def test_lock_starts_at_midnight_vietnam_time(conn, landing, intake_url):
    lock = datetime(2026, 2, 2, tzinfo=LOCAL_TZ)
    write_csv_file(landing, "just_before.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,1,",
                   when=lock - timedelta(seconds=1))
    write_csv_file(landing, "at_lock.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,2,", when=lock)
    by_name = {r.name: r.is_late for r in ingest(landing, intake_url).results}
    assert by_name == {"just_before.csv": False, "at_lock.csv": True}
    assert _current(conn)["JOBS_CREATED"] == Decimal("1")


def test_focal_point_is_the_one_in_office_when_the_file_arrived(conn, landing, intake_url):
    write_csv_file(landing, "q1.csv", "XA_QUY_NHON,2026-Q1,JOBS_CREATED,300,",
                   when=datetime(2026, 3, 20, tzinfo=LOCAL_TZ))
    ingest(landing, intake_url)
    assert conn.execute("select focal_point_email from raw.submission_file").fetchone() == (
        "binh.tt@quynhon.gialai.gov.vn",)


def test_batch_mixing_good_and_bad_files_loads_the_good_ones(conn, template_dir, landing, intake_url):
    write_csv_file(landing, "good_1.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,105,")
    write_csv_file(landing, "bad_value.csv", "XA_AN_NHON,2026-01,JOBS_CREATED,sáu mươi,")
    write_xlsx_file(conn, template_dir, landing, "good_2.xlsx", {"BUDGET_REVENUE": 31}, unit="XA_AN_NHON")
    write_xlsx_file(conn, template_dir, landing, "bad_2.xlsx", {"NEW_ENTERPRISES": "1.784"}, unit="SO_TAI_CHINH")
    (landing / "empty.csv").write_bytes(b"")
    (landing / "upload.csv.part").write_bytes(b"still arriving")  # ignored until renamed
    progress = []
    summary = ingest(landing, intake_url, progress=lambda done, total, r: progress.append((done, total, r.status)))
    assert (summary.files_seen, summary.loaded, summary.rejected, summary.rows_loaded) == (5, 2, 3, 2)
    assert sorted(summary.as_dict()["rejected_files"]) == ["bad_2.xlsx", "bad_value.csv", "empty.csv"]
    assert [p[:2] for p in progress] == [(n, 5) for n in range(1, 6)]
    loaded = conn.execute("select file_name from raw.submission_file where status = 'loaded' order by 1").fetchall()
    assert loaded == [("good_1.csv",), ("good_2.xlsx",)]
    assert conn.execute(
        "select array_agg(distinct f.file_name order by f.file_name) from raw.submission_value as v"
        " join raw.submission_file as f using (file_id)").fetchone() == (["good_1.csv", "good_2.xlsx"],)
    assert sorted(p.name for p in (landing / "rejected").glob("*.txt")) == [
        "bad_2.xlsx.report.txt", "bad_value.csv.report.txt", "empty.csv.report.txt"]
    assert (landing / "upload.csv.part").exists()


def test_name_clash_in_processed_keeps_both_files(conn, landing, intake_url):
    write_csv_file(landing, "bao_cao.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,105,")
    ingest(landing, intake_url)
    write_csv_file(landing, "bao_cao.csv", "XA_AN_NHON,2026-01,JOBS_CREATED,60,")
    (result,) = ingest(landing, intake_url).results
    assert result.status == "loaded"
    assert result.stored_path.name == f"bao_cao__{result.sha256[:12]}.csv"
    assert len(list((landing / "processed").glob("bao_cao*.csv"))) == 2


def test_notes_with_tabs_line_breaks_and_backslashes_are_stored_as_written(conn, landing, intake_url):
    note = "Dòng 1\tcột\\2\nDòng 2, \"trích dẫn\""
    escaped = note.replace('"', '""')
    write_csv_file(landing, "ghi_chu.csv", f'XA_QUY_NHON,2026-01,JOBS_CREATED,105,"{escaped}"')
    assert ingest(landing, intake_url).loaded == 1
    assert conn.execute("select note from raw.submission_value").fetchone() == (note,)


def test_an_empty_landing_folder_is_a_quiet_scan(conn, landing, intake_url):
    assert ingest(landing, intake_url).as_dict()["files_seen"] == 0
    assert count(conn, "raw.submission_file") == 0


def test_xlsx_resubmission_after_the_lock_is_kept_as_a_late_version(conn, template_dir, landing, intake_url):
    write_xlsx_file(conn, template_dir, landing, "v1.xlsx", {"JOBS_CREATED": 100}, when=JANUARY_ON_TIME)
    write_xlsx_file(conn, template_dir, landing, "v2.xlsx", {"JOBS_CREATED": "1.250"}, when=JANUARY_LATE)
    write_xlsx_file(conn, template_dir, landing, "v3.xlsx", {"JOBS_CREATED": 1250}, when=JANUARY_LATE)
    by_name = {r.name: r for r in ingest(landing, intake_url).results}
    # A late file is still validated: an ambiguous number rejects it; the clean late one loads, marked late.
    assert (by_name["v2.xlsx"].status, [p.rule for p in by_name["v2.xlsx"].errors]) == ("rejected", ["value_ambiguous"])
    assert (by_name["v3.xlsx"].status, by_name["v3.xlsx"].is_late) == ("loaded", True)
    assert _current(conn)["JOBS_CREATED"] == Decimal("100")
    assert conn.execute("select array_agg(is_late order by version) from raw.submission_value_version"
                        " where indicator_code = 'JOBS_CREATED'").fetchone() == ([False, True],)


def test_a_file_the_warehouse_refuses_is_rejected_alone(conn, landing, intake_url):
    # A constraint validation does not know stands for any refusal by the database.
    conn.execute("alter table raw.submission_value add constraint test_refuse check (value <> 424242)")
    try:
        write_csv_file(landing, "a_good.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,105,")
        write_csv_file(landing, "b_refused.csv", "XA_AN_NHON,2026-01,JOBS_CREATED,424242,",
                       "XA_AN_NHON,2026-01,BUDGET_REVENUE,31,")
        write_csv_file(landing, "c_good.csv", "XA_QUY_NHON,2026-01,BUDGET_REVENUE,31,")
        summary = ingest(landing, intake_url)
    finally:
        conn.execute("alter table raw.submission_value drop constraint test_refuse")
    assert (summary.loaded, summary.rejected, summary.rows_loaded) == (2, 1, 2)
    refused = conn.execute("select status, row_count, report from raw.submission_file"
                           " where file_name = 'b_refused.csv'").fetchone()
    assert refused[:2] == ("rejected", 0)
    assert [p["rule"] for p in refused[2]] == ["load_failed"]
    assert "test_refuse" in refused[2][0]["message"]
    assert conn.execute(
        "select array_agg(f.file_name order by f.file_name) from raw.submission_value as v"
        " join raw.submission_file as f using (file_id)").fetchone() == (["a_good.csv", "c_good.csv"],)
    assert (landing / "rejected" / "b_refused.csv.report.txt").exists()

