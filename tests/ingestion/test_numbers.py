"""How typed numbers are read: Vietnamese convention in spreadsheets, `.` decimals in CSV, no guessing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from ingestion.numbers import NumberError, parse_plain, parse_vietnamese, read_cell


@pytest.mark.parametrize(("text", "expected", "percent"), [
    ("1.784,4", "1784.4", False),
    ("7,27%", "7.27", True),
    ("7,27 %", "7.27", True),
    ("1.784.000", "1784000", False),
    ("1.784.000,25", "1784000.25", False),
    ("12,5", "12.5", False),
    ("0,125", "0.125", False),  # a leading 0 is no thousands group
    ("1234,567", "1234.567", False),  # four digits before the comma: no thousands grouping
    ("0.784", "0.784", False),
    ("1.5", "1.5", False),  # a dot followed by other than three digits is a decimal point
    ("1784", "1784", False),
    ("-3", "-3", False),
    ("\u22122,5", "-2.5", False),
    ("\u00a0 15 ", "15", False),
])
def test_vietnamese_text_is_read_by_vietnamese_convention(text, expected, percent):
    number = parse_vietnamese(text)
    assert number.value == Decimal(expected)
    assert number.percent_sign is percent


@pytest.mark.parametrize("text", ["1.784", "100.000", "1,784", "12,345", "-1.784"])
def test_ambiguous_text_is_refused_never_guessed(text):
    with pytest.raises(NumberError) as caught:
        parse_vietnamese(text)
    assert caught.value.rule == "value_ambiguous"
    assert "ambiguous" in caught.value.message


@pytest.mark.parametrize("text", ["abc", "", "1,784,000", "1,784.5", "12 345", "1.784,", "15 người", "--3"])
def test_text_that_is_no_number_is_refused(text):
    with pytest.raises(NumberError) as caught:
        parse_vietnamese(text)
    assert caught.value.rule == "value_not_number"


@pytest.mark.parametrize(("cell", "expected"), [(105.0, "105.0"), (0.1, "0.1"), (7, "7"), ("1.784,4", "1784.4")])
def test_spreadsheet_cells_keep_stored_numbers(cell, expected):
    assert read_cell(cell).value == Decimal(expected)


@pytest.mark.parametrize("cell", [True, datetime(2026, 5, 1), float("nan")])
def test_spreadsheet_cells_that_are_not_numbers(cell):
    with pytest.raises(NumberError):
        read_cell(cell)


def test_csv_values_use_a_dot_and_nothing_else():
    assert parse_plain("1784.4") == Decimal("1784.4")
    assert parse_plain("1.784") == Decimal("1.784")  # CSV: `.` is the decimal separator, by definition
    assert parse_plain("-0.5") == Decimal("-0.5")
    for text in ("1,5", "1.784,4", "abc", "1e3", "7%"):
        with pytest.raises(NumberError):
            parse_plain(text)
