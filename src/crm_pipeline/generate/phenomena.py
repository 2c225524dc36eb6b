"""Every phenomenon the generator plants, with what it means: the vocabulary of ``truth/phenomena.csv``.

``truth/phenomena.csv`` has one row per planted occurrence: ``file, line, record_id, column,
phenomenon, value`` (``value`` = the raw cell text as written, or the group key for traps and
duplicates). File-level phenomena have no line. Phenomena marked *exhaustive* are listed at every
occurrence; the frequent ones (formats, case variants) are listed for the first ``EXAMPLE_CAP``
occurrences per file and column: enough examples for tests without a file as large as the data.
"""

from __future__ import annotations

EXAMPLE_CAP = 200

# name -> (description, exhaustive)
PHENOMENA: dict[str, tuple[str, bool]] = {
    # files
    "encoding_utf8": ("file is UTF-8 without BOM", True),
    "encoding_utf8_bom": ("file is UTF-8 with a byte-order mark", True),
    "encoding_cp1252": ("file is Windows-1252 (accented names as single bytes)", True),
    "delimiter_comma": ("comma-delimited", True),
    "delimiter_semicolon": ("semicolon-delimited", True),
    "delimiter_tab": ("tab-delimited (still named .csv)", True),
    "line_ending_crlf": ("CRLF line ends", True),
    "line_ending_lf": ("LF line ends", True),
    "quote_all": ("every field quoted", True),
    # structure
    "blank_line": ("an empty line between rows (or at the end)", True),
    "empty_row": ("a line of only delimiters", True),
    "repeated_header": ("the header row again mid-file: two exports pasted together", True),
    "trailing_delimiter": ("row ends with one extra empty cell", True),
    "ragged_short": ("row lacks its last cells: must be quarantined (ragged_row)", True),
    "ragged_long": ("unquoted delimiter inside a value, cells shift: must be quarantined (ragged_row)", True),
    "nul_byte": ("NUL byte inside a value", True),
    "long_field": (
        "absurdly long value (over csv's default limit): must be quarantined (field_too_long)",
        True,
    ),
    "quoted_delimiter": ("value holding the delimiter, quoted", False),
    "quoted_quote": ("value holding a double quote, quoted and doubled", False),
    "quoted_newline": ("value holding a line break, quoted", True),
    "record_id_blank": ("the row's own id is blank: record_id is line:N", True),
    # names
    "name_upper": ("name in upper case", False),
    "name_lower": ("name in lower case", False),
    "name_last_first": ('"Last, First"', False),
    "name_swapped": ("first and last name swapped", False),
    "name_title": ("title (Dr., Mrs.) in the name", False),
    "name_suffix": ("suffix (Jr., Sr.) in the name", False),
    "name_middle_initial": ("middle initial", False),
    "name_middle_name": ("full middle name", False),
    "name_nickname": ("nickname instead of the given name (Bob for Robert)", False),
    "name_quoted_nickname": ('nickname in quotes: Robert "Bob" Smith', False),
    "name_accent": ("name with accents", False),
    "name_accent_stripped": ("accents of the person's name dropped", False),
    "name_typo": ("one-letter typo in the name", False),
    "name_extra_spaces": ("leading, trailing or doubled spaces", False),
    "name_curly_apostrophe": ("typographic apostrophe (O’Neil)", False),
    "name_particle": ("apostrophe, hyphen or Mc/Mac name (O'Neil, McDonald)", False),
    # emails
    "email_missing": ("email blank", False),
    "email_case": ("email in mixed or upper case", False),
    "email_spaces": ("email with spaces around it", False),
    "email_placeholder": ('placeholder email ("none", "noemail@noemail.com")', False),
    "email_invalid": ("email with broken syntax", False),
    "email_work": ("work email at the company domain", False),
    # phones
    "phone_dashes": ("555-123-4567", False),
    "phone_paren": ("(555) 123-4567", False),
    "phone_dots": ("555.123.4567", False),
    "phone_digits": ("5551234567", False),
    "phone_plus1": ("+1 555 123 4567", False),
    "phone_one_dash": ("1-555-123-4567", False),
    "phone_e164": ("+15551234567", False),
    "phone_ext": ("phone with an extension (x12, ext. 204)", False),
    "phone_placeholder": ("placeholder phone (000-000-0000, 555-555-5555)", False),
    "phone_too_short": ("phone with digits missing", False),
    "phone_missing": ("phone blank", False),
    # addresses
    "address_missing": ("whole address blank", False),
    "address_partial": ("only part of the address", False),
    "address_newline": ("address over two lines inside one quoted field", True),
    "address_case": ("address in upper or lower case", False),
    "street_spelled": ("street suffix/unit spelled out or punctuated (Street, St., Apartment, #)", False),
    "street_typo": ("typo in the street name", False),
    "state_variant": ('state not as its 2-letter code ("Calif.", "california")', False),
    "zip_plus4": ("ZIP+4", False),
    "zip_lost_zero": ("ZIP that lost its leading zero (2139)", False),
    "zip_float": ('ZIP as a float ("2139.0")', False),
    "zip_missing": ("ZIP blank", False),
    # branches
    "branch_alias": ("branch as an alias (NYC, Philly, DFW)", False),
    "branch_typo": ("branch with a typo (Nwe York)", False),
    "branch_case": ("canonical branch in another case", False),
    "branch_unknown": ("branch the company does not have: must be quarantined", True),
    # dates
    "date_yyyymmdd": ("date as YYYYMMDD integer", False),
    "date_mdy": ("date as MM/DD/YYYY", False),
    "date_mdy_short": ("date as M/D/YYYY", False),
    "date_iso": ("date as YYYY-MM-DD", False),
    "date_month_name": ('date as "Jan 5, 2024"', False),
    "date_excel_serial": ("date as an Excel serial number", False),
    "datetime_iso": ("date-time 2024-01-05 13:45:00", False),
    "datetime_iso_tz": ("date-time 2024-01-05T13:45:00Z", False),
    "datetime_mdy_ampm": ("date-time 01/05/2024 1:45 PM", False),
    "datetime_mdy_24": ("date-time 1/5/2024 13:45", False),
    "date_unreadable": ("date that cannot be read: must be quarantined", True),
    "date_missing": ("optional date blank (lead without a move date)", False),
    # money
    "money_dollar_commas": ("$1,234.50", False),
    "money_plain_short": ("1234.5", False),
    "money_usd": ("USD 1,234", False),
    "money_plain": ("1234.50", False),
    "money_dollar_plain": ("$1234.50", False),
    # codes
    "status_case": ("status in another case or with stray spaces", False),
    "service_type_case": ("service type in another case or with stray spaces", False),
    "service_type_snake": ("service type as a snake-case code (legacy)", False),
    # duplicates (value = detail)
    "dup_cross_source": ("person appears in several source systems (value: the systems)", False),
    "dup_within_source": ("person's second record in the same source", True),
    "dup_new_address": ("record after the person moved (value: address number)", False),
    "dup_changed_email": ("record with the person's newer email", False),
    "job_dup_sm_legacy": ("job also exported by the other CRM (value: its record_id)", False),
    "job_dup_sm_exports": ("job in both SmartMoving exports", False),
    "job_status_progressed": ("job whose other copy has an earlier status (value: that status)", False),
    # traps (value = group key)
    "trap_family": ("family member: same address, last name and home phone, another person", True),
    "trap_family_email": ("family member using the shared family email", True),
    "trap_home_phone": ("family member giving the shared home phone", True),
    "trap_father_son": ("father or son with the same name at one address (Sr./Jr.)", True),
    "trap_common_name": ("very common name shared by people in different cities", True),
    "trap_shared_office_phone": ("business customer giving the office phone shared with colleagues", True),
}

EXHAUSTIVE: frozenset[str] = frozenset(name for name, (_, exhaustive) in PHENOMENA.items() if exhaustive)
