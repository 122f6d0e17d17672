"""The intake without Airflow: `kpi templates`, `kpi ingest` (exit code), `kpi report`."""

from __future__ import annotations

import json

from tests.ingestion.conftest import write_csv_file
from warehouse.cli import main


def test_templates_for_every_unit_of_a_period_or_one_unit(conn, tmp_path, capsys):
    assert main(["templates", "--period", "2026-01", "--out", str(tmp_path / "all")]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "SO_TAI_CHINH_2026-01.xlsx", "THONG_KE_GIA_LAI_2026-01.xlsx", "XA_AN_NHON_2026-01.xlsx",
        "XA_QUY_NHON_2026-01.xlsx"]
    assert main(["templates", "--unit", "XA_AN_NHON", "--period", "2026-Q1", "--out", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["XA_AN_NHON_2026-Q1.xlsx"]


def test_ingest_exit_code_says_whether_anything_was_rejected(conn, landing, capsys):
    write_csv_file(landing, "good.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,105,")
    assert main(["ingest", "--landing", str(landing)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["loaded"] == 1
    assert "[1/1] files processed" in out.err
    write_csv_file(landing, "bad.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,abc,")
    assert main(["ingest", "--landing", str(landing)]) == 1
    err = capsys.readouterr().err
    assert "REJECTED bad.csv: 1 problem(s)" in err


def test_report_by_sha_path_or_name(conn, landing, capsys):
    path = write_csv_file(landing, "bad.csv", "XA_QUY_NHON,2026-01,JOBS_CREATED,-4,",
                          "XA_QUY_NHON,2026-01,CHI_TIEU_LA,1,")
    main(["ingest", "--landing", str(landing)])
    capsys.readouterr()
    stored = landing / "rejected" / path.name
    sha = conn.execute("select sha256 from raw.submission_file").fetchone()[0]
    for key in (sha[:10], str(stored), "bad.csv"):
        assert main(["report", key]) == 0
        text = capsys.readouterr().out
        assert "REJECTED" in text and "row 2, column value" in text and "[negative" in text
        assert "row 3, column indicator_code" in text
    assert main(["report", "--json", sha]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "rejected"
    assert main(["report", "khong_co.csv"]) == 1
