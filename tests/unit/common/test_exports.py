"""The formula-safe cell every export writes through."""

from __future__ import annotations

import pytest

from backend.common.exports import csv_text, safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", '=HYPERLINK("x")'])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["张伟", "worker1", "08:30-17:30", "", " =1", 0, -3, 2.5, None, True])
def test_other_values_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_csv_has_a_byte_order_mark_and_safe_cells():
    text = csv_text([["name", "days"], ["=cmd|' /C calc'!A0", -2]])
    assert text.startswith("\ufeff")
    assert text.splitlines()[1] == "'=cmd|' /C calc'!A0,-2"
