"""Administrative units from the PyPI reference packages, both hierarchies and the 2025 lineage.

``vietnam-provinces`` carries the post-July-2025 units (34 provinces, 3,321 communes) with official
codes; ``vietnamadminunits`` carries the legacy 63 provinces with their districts and communes,
and the old -> new conversion. The two packages are matched on names (tone-mark spelling varies
between them: "Hòa" / "Hoà"), then on their diacritic-free keys, then on the official code.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REFORM_DATE = date(2025, 7, 1)
PRE, POST = "pre_2025", "post_2025"


def unit_key(hierarchy: str, level: str, code: str) -> str:
    """Build the warehouse key of an administrative unit, e.g. ``post_2025:commune:21583``."""
    return f"{hierarchy}:{level}:{code}"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


def strip_type_word(name: str, division_type: str) -> str:
    """Drop the leading type word: 'Phường Quy Nhơn' -> 'Quy Nhơn'."""
    if _fold(name).startswith(_fold(division_type) + " "):
        return name[len(division_type) + 1 :].strip()
    return name


@dataclass
class AdminUnits:
    units: list[dict] = field(default_factory=list)
    lineage: list[dict] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def _legacy_dataset() -> tuple[sqlite3.Connection, dict]:
    import vietnamadminunits

    data_dir = Path(vietnamadminunits.__file__).parent / "data"
    conn = sqlite3.connect(data_dir / "dataset.db")
    conversion = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    return conn, conversion


def _post_2025_units(result: AdminUnits) -> dict:
    import vietnam_provinces

    provinces = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    index = {"name": {}, "key": {}, "code": {}}
    for province in provinces:
        pcode = f"{province['code']:02d}"
        pkey = unit_key(POST, "province", pcode)
        prefix = "Thành phố" if province["division_type"] == "thành phố trung ương" else "Tỉnh"
        result.units.append(
            dict(admin_unit_key=pkey, hierarchy=POST, admin_level="province",
                 official_code=pcode, name=f"{prefix} {province['name']}",
                 short_name=province["name"], division_type=province["division_type"],
                 parent_key=None, province_key=pkey, valid_from=REFORM_DATE, valid_to=None,
                 source="vietnam-provinces")
        )
        for ward in province["wards"]:
            wcode = f"{ward['code']:05d}"
            wkey = unit_key(POST, "commune", wcode)
            result.units.append(
                dict(admin_unit_key=wkey, hierarchy=POST, admin_level="commune",
                     official_code=wcode, name=ward["name"],
                     short_name=strip_type_word(ward["name"], ward["division_type"]),
                     division_type=ward["division_type"], parent_key=pkey, province_key=pkey,
                     valid_from=REFORM_DATE, valid_to=None, source="vietnam-provinces")
            )
            index["name"][(pcode, _fold(ward["name"]))] = wkey
            index["key"][(pcode, ward["codename"].replace("_", ""))] = wkey
            index["code"][wcode] = wkey
    return index


def _legacy_units(result: AdminUnits, conn: sqlite3.Connection) -> dict:
    """Add the 63 legacy provinces, their districts and communes; return name-key -> unit key."""
    by_name_key = {}
    rows = conn.execute(
        "select province, provinceShort, provinceCode, provinceKey, district, districtShort,"
        " districtType, districtCode, districtKey, ward, wardShort, wardType, wardCode, wardKey"
        " from admin_units_legacy order by provinceCode, districtCode, wardCode"
    )
    seen = set()
    for (pname, pshort, pcode, pkey_name, dname, dshort, dtype, dcode, dkey_name,
         wname, wshort, wtype, wcode, wkey_name) in rows:
        pkey = unit_key(PRE, "province", pcode)
        dkey = unit_key(PRE, "district", dcode)
        if pkey not in seen:
            seen.add(pkey)
            ptype = "thành phố trung ương" if pname.startswith("Thành phố") else "tỉnh"
            result.units.append(
                dict(admin_unit_key=pkey, hierarchy=PRE, admin_level="province",
                     official_code=pcode, name=pname, short_name=pshort, division_type=ptype,
                     parent_key=None, province_key=pkey, valid_from=None, valid_to=REFORM_DATE,
                     source="vietnamadminunits")
            )
            by_name_key[pkey_name] = pkey
        if dkey not in seen:
            seen.add(dkey)
            result.units.append(
                dict(admin_unit_key=dkey, hierarchy=PRE, admin_level="district",
                     official_code=dcode, name=dname, short_name=dshort,
                     division_type=dtype.lower(), parent_key=pkey, province_key=pkey,
                     valid_from=None, valid_to=REFORM_DATE, source="vietnamadminunits")
            )
            # Island districts have no communes; the conversion names them with an empty ward.
            by_name_key[f"{pkey_name}_{dkey_name}_"] = dkey
        if wcode:
            wkey = unit_key(PRE, "commune", wcode)
            result.units.append(
                dict(admin_unit_key=wkey, hierarchy=PRE, admin_level="commune",
                     official_code=wcode, name=wname, short_name=wshort,
                     division_type=wtype.lower(), parent_key=dkey, province_key=pkey,
                     valid_from=None, valid_to=REFORM_DATE, source="vietnamadminunits")
            )
            by_name_key[f"{pkey_name}_{dkey_name}_{wkey_name}"] = wkey
    return by_name_key


def load_admin_units() -> AdminUnits:
    """Read both hierarchies and the lineage from the reference packages."""
    result = AdminUnits()
    post_index = _post_2025_units(result)
    conn, conversion = _legacy_dataset()
    legacy_by_key = _legacy_units(result, conn)
    _lineage(result, conn, conversion, post_index, legacy_by_key)
    return result


def _lineage(result: AdminUnits, conn: sqlite3.Connection, conversion: dict,
             post_index: dict, legacy_by_key: dict) -> None:
    # The conversion names new communes by (province key, ward key): resolve them to our keys.
    new_ward = {}
    for pcode, pkey_name, wname, wkey_name, wcode in conn.execute(
        "select provinceCode, provinceKey, ward, wardKey, wardCode from admin_units"
    ):
        target = (
            post_index["name"].get((pcode, _fold(wname)))
            or post_index["key"].get((pcode, wkey_name))
            or post_index["code"].get(wcode)
        )
        if target:
            new_ward[(pkey_name, wkey_name)] = target
        else:
            result.unmatched.append(f"{pcode} {wname}")
    new_province = {
        pkey_name: unit_key(POST, "province", pcode)
        for pkey_name, pcode in conn.execute("select distinct provinceKey, provinceCode from admin_units")
    }

    def add(old: str, new: str, primary: bool, divided: bool) -> None:
        result.lineage.append(
            dict(legacy_unit_key=old, new_unit_key=new, is_primary=primary,
                 is_divided=divided, effective_date=REFORM_DATE)
        )

    for new_pkey_name, old_pkey_names in conversion["DICT_PROVINCE"].items():
        for old in old_pkey_names:
            add(legacy_by_key[old], new_province[new_pkey_name], True, False)
    for new_pkey_name, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey_name, old_keys in wards.items():
            for old in old_keys:
                add(legacy_by_key[old], new_ward[(new_pkey_name, new_wkey_name)], True, False)
    for new_pkey_name, divided in conversion["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, targets in divided.items():
            for target in targets:
                add(legacy_by_key[old], new_ward[(new_pkey_name, target["newWardKey"])],
                    bool(target["isDefaultNewWard"]), True)
    # A legacy district becomes part of its province's successor.
    province_successor = {
        row["legacy_unit_key"]: row["new_unit_key"]
        for row in result.lineage
        if row["legacy_unit_key"].startswith(f"{PRE}:province:")
    }
    for unit in result.units:
        if unit["admin_level"] == "district":
            add(unit["admin_unit_key"], province_successor[unit["parent_key"]], True, False)
