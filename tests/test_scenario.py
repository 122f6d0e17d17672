"""The demo scenario: a real province, all its communes, valid reference files, planted faults."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import REFERENCE_DIR
from warehouse.reference import load_reference
from warehouse.scenario import generate_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return generate_scenario(tmp_path_factory.mktemp("scenario"))


def test_scenario_reference_files_load_and_cover_every_real_commune(db, scenario):
    counts = load_reference(db, [REFERENCE_DIR, scenario.reference_dir])
    communes_of_gia_lai = db.execute(
        """select count(*) from reference.admin_unit
           where hierarchy = 'post_2025' and admin_level = 'commune'
             and province_key = 'post_2025:province:52'"""
    ).fetchone()[0]
    reporting_communes = db.execute(
        "select count(*) from reference.reporting_unit where unit_type = 'commune'"
    ).fetchone()[0]
    assert reporting_communes == communes_of_gia_lai == 135
    assert counts["focal_point"] == counts["reporting_unit"]
    # Legacy district offices of both old provinces carry the history before the reform.
    legacy = db.execute(
        """select count(*) from reference.reporting_unit as unit
           inner join reference.admin_unit as area on unit.admin_unit_key = area.admin_unit_key
           where area.hierarchy = 'pre_2025' and area.province_key in
               ('pre_2025:province:52', 'pre_2025:province:64')"""
    ).fetchone()[0]
    assert legacy == 28


def test_scenario_plants_every_kind_and_spares_the_clean_unit(scenario):
    planted = json.loads((scenario.root / "planted.json").read_text(encoding="utf-8"))
    kinds = {item["kind"] for item in planted["planted"]}
    assert {"missing", "stale", "late", "inconsistent_sum", "decreasing_cumulative", "outlier",
            "unit_slip", "partial", "malformed", "resubmitted"} <= kinds
    assert all(item["unit_code"] != scenario.clean_unit_code for item in planted["planted"])
    for item in planted["planted"]:
        if item["file"]:
            assert (scenario.landing_dir / item["file"]).exists(), item


def test_scenario_files_carry_their_received_time(scenario):
    received = {path.stat().st_mtime for path in scenario.landing_dir.iterdir()}
    assert len(received) > 1000
    assert max(received) <= scenario.config.as_of.timestamp()


def test_scenario_is_deterministic(tmp_path, scenario):
    again = generate_scenario(tmp_path / "again")

    def digest(folder):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    assert digest(again.landing_dir) == digest(scenario.landing_dir)
    assert digest(again.reference_dir) == digest(scenario.reference_dir)
