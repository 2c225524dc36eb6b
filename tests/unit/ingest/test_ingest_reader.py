"""The CSV reader: physical line numbers, dialects and structural mess, one case per mess kind."""

from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipeline.ingest.encoding import decode_bytes
from crm_pipeline.ingest.reader import MAX_FIELD_CHARS, parse_text, row_issues


def rows_of(text: str) -> list[tuple[object, ...]]:
    return parse_text(text).rows.rows()


def issues_of(text: str) -> list[tuple[object, ...]]:
    parsed = parse_text(text)
    return row_issues(parsed, check_encoding=True).select("line", "column", "rule").rows()


# --------------------------------------------------------------------------- encodings


def test_utf8_bom_is_removed_and_reported() -> None:
    decoded = decode_bytes("\ufeffName,City\nJosé,Zürich\n".encode())
    assert decoded.encoding == "utf-8-sig"
    parsed = parse_text(decoded.text)
    assert parsed.header == ["Name", "City"]
    assert parsed.rows.rows() == [(2, "José", "Zürich")]


def test_windows_1252_is_detected_and_decoded() -> None:
    raw = "name,city\nJosé Peña,“Münster”\nRenée,Boston\n".encode("cp1252")
    decoded = decode_bytes(raw)
    assert decoded.encoding == "cp1252"
    assert not decoded.replaced
    assert parse_text(decoded.text).rows.rows() == [(2, "José Peña", "“Münster”"), (3, "Renée", "Boston")]


def test_a_bad_byte_in_a_utf8_file_quarantines_only_its_row() -> None:
    raw = "name,city\nJosé,Zürich\nBob,Bos".encode() + b"\xff" + "ton\nAnn,Köln\n".encode()
    decoded = decode_bytes(raw)
    assert decoded.encoding == "utf-8"  # mostly valid UTF-8: not re-read as cp1252
    assert decoded.replaced
    parsed = parse_text(decoded.text)
    assert parsed.rows["c0"].to_list() == ["José", "Bob", "Ann"]
    issues = row_issues(parsed, check_encoding=True)
    assert issues.select("line", "column", "rule").rows() == [(3, "city", "bad_encoding")]


def test_random_bytes_never_raise() -> None:
    decoded = decode_bytes(bytes(range(256)) * 3)
    parse_text(decoded.text)  # no exception is the assertion


# --------------------------------------------------------------------------- dialects


def test_semicolon_and_tab_delimiters_are_detected() -> None:
    semi = parse_text("a;b;c\n1;2,5;3\n")
    assert (semi.delimiter, semi.rows.rows()) == (";", [(2, "1", "2,5", "3")])
    tab = parse_text("a\tb\n1\tx, y\n")
    assert (tab.delimiter, tab.rows.rows()) == ("\t", [(2, "1", "x, y")])


def test_crlf_line_ends_keep_physical_line_numbers() -> None:
    assert rows_of("a,b\r\n1,2\r\n3,4\r\n") == [(2, "1", "2"), (3, "3", "4")]


def test_quoted_commas_quotes_and_newlines_start_line_is_the_record_line() -> None:
    text = 'a,b,c\r\n1,"Main St, Apt 4","say ""hi"""\r\n2,"two\r\nline\r\nnote",x\r\n3,y,z\r\n'
    assert rows_of(text) == [
        (2, "1", "Main St, Apt 4", 'say "hi"'),
        (3, "2", "two\nline\nnote", "x"),
        (6, "3", "y", "z"),  # lines 4 and 5 belong to the quoted field of line 3
    ]


def test_blank_lines_are_skipped_and_not_rows() -> None:
    parsed = parse_text("\n\na,b\n\n1,2\n   \n,,\n3,4\n\n")
    assert parsed.header_line == 3
    assert parsed.rows.rows() == [(5, "1", "2"), (8, "3", "4")]
    assert (parsed.rows_in, parsed.blank_lines) == (2, 6)


def test_trailing_delimiters_are_an_empty_column_not_an_error() -> None:
    assert rows_of("a,b\n1,2,\n3,4,,,\n") == [(2, "1", "2"), (3, "3", "4")]
    assert rows_of("a,b,\n1,2,\n3,4\n") == [(2, "1", "2"), (3, "3", "4")]


def test_repeated_header_mid_file_is_skipped_and_counted_apart() -> None:
    parsed = parse_text("Customer Id,Name\n1,Ann\n\ufeffcustomer_id,NAME\n2,Bob\n")
    assert parsed.rows.rows() == [(2, "1", "Ann"), (4, "2", "Bob")]
    assert (parsed.rows_in, parsed.repeated_headers) == (2, 1)


def test_ragged_rows_are_quarantined_unless_the_extra_fields_are_empty() -> None:
    text = "a,b,c\n1,2\n3,4,5,6\n7,8,9, ,\n10,11,12\n"
    parsed = parse_text(text)
    assert parsed.rows.rows() == [(4, "7", "8", "9"), (5, "10", "11", "12")]
    assert issues_of(text) == [(2, "*", "ragged_row"), (3, "*", "ragged_row")]
    assert parsed.issues["raw_value"].to_list() == ["1,2", "3,4,5,6"]
    assert parsed.rows_in == 4


def test_nul_bytes_are_stripped_and_counted() -> None:
    parsed = parse_text("a,b\n1,Jo\x00hn\n2,x\x00\n")
    assert parsed.rows.rows() == [(2, "1", "John"), (3, "2", "x")]
    assert parsed.nul_bytes == 2


def test_absurdly_long_fields_are_quarantined_with_a_cut_raw_value() -> None:
    text = f"a,b\n1,{'x' * (MAX_FIELD_CHARS + 1)}\n2,ok\n"
    parsed = parse_text(text)
    issues = row_issues(parsed, check_encoding=False)
    assert issues.select("line", "column", "rule").rows() == [(2, "b", "field_too_long")]
    assert issues["raw_value"][0].endswith("…[+9001 chars]")


def test_values_are_stripped_and_empty_means_null() -> None:
    assert rows_of('a,b,c\n  x  ,"",   \n') == [(2, "x", None, None)]


def test_malformed_quotes_follow_the_csv_module() -> None:
    parsed = parse_text('a,b,c\n1,5" box,3\n2,"x"y,4\n')
    assert parsed.slow_path
    assert parsed.rows.rows() == [(2, "1", '5" box', "3"), (3, "2", "xy", "4")]


def test_a_malformed_header_never_crashes() -> None:
    parsed = parse_text('\x02"\n\x02\n1,2\n')
    assert parsed.slow_path
    assert parsed.rows_in == parsed.rows.height + parsed.issues.height


def test_header_only_and_empty_text() -> None:
    assert parse_text("a,b\n").rows.height == 0
    empty = parse_text("")
    assert empty.header == [] and empty.rows_in == 0


# --------------------------------------------------------------------------- fast path == csv module

_cell = st.text(alphabet=st.sampled_from(list('ab ,;"\n\tZé')), max_size=6)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=8))
def test_vectorized_parse_agrees_with_the_csv_module(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["h1", "h2", "h3"])
    writer.writerows(rows)
    text = buffer.getvalue()

    expected = []
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    previous = reader.line_num
    for record in reader:
        start, previous = previous + 1, reader.line_num
        values = [v.replace("\r\n", "\n").strip() or None for v in record]
        if any(values):
            expected.append((start, *values))

    parsed = parse_text(text)
    assert not parsed.slow_path
    assert parsed.rows.rows() == expected
    assert parsed.rows_in == len(expected)


def test_frame_columns_are_strings_even_when_empty() -> None:
    parsed = parse_text("a,b\n")
    assert parsed.rows.schema == pl.Schema({"line": pl.Int64, "c0": pl.String, "c1": pl.String})
