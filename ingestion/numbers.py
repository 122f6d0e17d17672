"""Numbers as units type them, read without guessing.

CSV files are machine-written: ``.`` is the decimal separator and nothing else is allowed.
XLSX cells are either numbers (taken as stored) or text a person typed, read by Vietnamese
convention: ``.`` groups thousands and ``,`` marks decimals (``1.784,4`` is 1784.4, ``7,27%`` is
7.27 percent). A text with two readings (``1.784``: 1784 by Vietnamese convention, 1.784 by the
English one; ``12,345`` the other way round) is refused, never guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

# Digits only, optionally with a fractional part after a dot: the CSV format.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Vietnamese grouping: 1-3 digits, then groups of three after dots, optional decimals after a comma.
_VN_GROUPED = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_VN_DECIMAL = re.compile(r"\d+,\d+")
_DOT_DECIMAL = re.compile(r"\d+\.\d+")
_INTEGER = re.compile(r"\d+")
# English grouping (1,784,000 or 1,784.5): not the Vietnamese convention.
_EN_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_SPACES = " \t\u00a0\u202f\u2009"
_UNAMBIGUOUS = "write it without a thousands separator, or enter it as a number"
_MINUS_SIGNS = ("-", "\u2212", "\u2013")


class NumberError(ValueError):
    """A value that cannot be read as a number; ``rule`` says why."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class Number:
    value: Decimal
    percent_sign: bool = False  # the text ended with %
    typed_text: str | None = None  # the text as typed, when it was text


def parse_plain(text: str) -> Decimal:
    """Read a CSV value: digits with an optional sign and ``.`` decimal part."""
    stripped = text.strip()
    if PLAIN_NUMBER.fullmatch(stripped):
        return Decimal(stripped)
    if "," in stripped:
        raise NumberError("value_not_number",
                          "is not a number: CSV files use . as the decimal separator and no thousands "
                          "separator (write 1784.4)")
    raise NumberError("value_not_number", "is not a number")


def parse_vietnamese(text: str) -> Number:
    """Read a number typed as text, by Vietnamese convention; refuse an ambiguous one."""
    body = text.strip(_SPACES)
    percent = body.endswith("%")
    if percent:
        body = body[:-1].rstrip(_SPACES)
    negative = body.startswith(_MINUS_SIGNS)
    if negative or body.startswith("+"):
        body = body[1:]
    if not body:
        raise NumberError("value_not_number", "is not a number")
    if _INTEGER.fullmatch(body) or (_DOT_DECIMAL.fullmatch(body) and not _VN_GROUPED.fullmatch(body)):
        # 1784, or 1.5 / 1234.56: a dot that cannot be a thousands separator is a decimal point.
        digits = body
    elif _VN_GROUPED.fullmatch(body):
        whole, _, decimals = body.partition(",")
        if whole.count(".") == 1 and not decimals:
            raise NumberError(
                "value_ambiguous",
                f"is ambiguous: {body} could be {whole.replace('.', '')} (dot as Vietnamese thousands "
                f"separator) or {whole} (dot as decimal point); {_UNAMBIGUOUS}")
        digits = whole.replace(".", "") + (f".{decimals}" if decimals else "")
    elif _VN_DECIMAL.fullmatch(body):
        whole, decimals = body.split(",")
        if len(whole) <= 3 and not whole.startswith("0") and len(decimals) == 3:
            raise NumberError(
                "value_ambiguous",
                f"is ambiguous: {body} could be {whole}.{decimals} (comma as Vietnamese decimal "
                f"separator) or {whole}{decimals} (comma as English thousands separator); {_UNAMBIGUOUS}")
        digits = f"{whole}.{decimals}"
    elif _EN_GROUPED.fullmatch(body):
        raise NumberError("value_not_number",
                          "uses , as thousands separator (English convention); by Vietnamese "
                          "convention write 1.784.000 or 1.784,5")
    else:
        raise NumberError("value_not_number", "is not a number")
    value = Decimal(digits)
    return Number(-value if negative else value, percent, text)


def read_cell(cell: object) -> Number:
    """Read a spreadsheet cell: a stored number as it is, text by Vietnamese convention."""
    if isinstance(cell, bool):
        raise NumberError("value_not_number", "is a TRUE/FALSE value, not a number")
    if isinstance(cell, int):
        return Number(Decimal(cell))
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise NumberError("value_not_number", "is not a finite number")
        # repr gives the shortest text that reads back as the same float: 0.1, not 0.1000000000000000055.
        return Number(Decimal(repr(cell)))
    if isinstance(cell, datetime | date | time | timedelta):
        raise NumberError("value_not_number",
                          "was stored as a date or time, not a number (Excel turns 1.5 into a date "
                          "in some locales: format the cell as number or text)")
    if isinstance(cell, str):
        return parse_vietnamese(cell)
    raise NumberError("value_not_number", f"is a {type(cell).__name__}, not a number")


