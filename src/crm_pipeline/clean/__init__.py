"""Pure, vectorized normalizers (phase 2): raw CSV strings in, typed clean columns out.

Contract shared by every normalizer:
- input: Polars Series of raw strings (``pl.Utf8``; nulls, blanks and stray whitespace allowed);
- output: a ``pl.DataFrame`` with exactly as many rows as the input, in the same order;
- ``<x>_error`` (Utf8): null = fine, otherwise a rule name (``unreadable_date``,
  ``unreadable_money``) meaning "this value is unreadable": the value is null and the stage records
  a value-level quarantine entry, the row goes on; soft normalizers (names, emails, phones,
  addresses, states, ZIPs, branches, enums) always return it null;
- ``<x>_flag`` (Utf8), where useful: the value was set to null but the row is kept
  (``placeholder``, ``invalid_syntax``, ``too_short``, ``invalid``, ``unknown_state``,
  ``invalid_zip``, ``unparsed``, ``ambiguous``), or kept as typed (``unconfirmed_branch``,
  ``other``: a branch or enum word the configuration does not know);
- blank (empty, whitespace, "N/A"-like tokens) → null values, no error, no flag;
- Python-level parsing runs once per distinct value (see ``_distinct.py``).

| function | columns |
|---|---|
| ``normalize_full_names(raw)`` / ``normalize_name_parts(first, last)`` | name_title, first_name, middle_name, last_name, name_suffix, name_error, name_flag |
| ``nickname_keys(first_names)`` | first_name_key, first_name_variants |
| ``normalize_emails(raw)`` | email, email_error, email_flag |
| ``normalize_phones(raw)`` | phone, phone_ext, phone_error, phone_flag |
| ``normalize_addresses(raw)`` / ``normalize_address_parts(street, street2, city, state, zip)`` | street, unit, city, state, zip, zip4, address_error, address_flag |
| ``normalize_states(raw)`` | state, state_error, state_flag |
| ``normalize_zips(raw)`` | zip, zip4, zip_error, zip_flag |
| ``normalize_branches(raw, table=None)`` | branch, branch_flag |
| ``parse_dates(raw)`` / ``parse_datetimes(raw)`` | value, date_error / value, datetime_error |
| ``parse_money(raw)`` | amount, money_error |
| ``normalize_status(raw)`` / ``normalize_service_type(raw)`` | status, status_raw, status_flag / service_type, service_type_raw, service_type_flag |
"""  # noqa: E501

from crm_pipeline.clean.addresses import normalize_address_parts, normalize_addresses
from crm_pipeline.clean.branches import BranchTable, load_branch_table, normalize_branches
from crm_pipeline.clean.dates import parse_dates, parse_datetimes
from crm_pipeline.clean.emails import normalize_emails
from crm_pipeline.clean.enums import normalize_service_type, normalize_status
from crm_pipeline.clean.money import parse_money
from crm_pipeline.clean.names import (
    name_variants,
    nickname_key,
    nickname_keys,
    normalize_full_names,
    normalize_name_parts,
)
from crm_pipeline.clean.phones import normalize_phones
from crm_pipeline.clean.states import normalize_states
from crm_pipeline.clean.zips import normalize_zips

__all__ = [
    "BranchTable",
    "load_branch_table",
    "name_variants",
    "nickname_key",
    "nickname_keys",
    "normalize_address_parts",
    "normalize_addresses",
    "normalize_branches",
    "normalize_emails",
    "normalize_full_names",
    "normalize_name_parts",
    "normalize_phones",
    "normalize_service_type",
    "normalize_states",
    "normalize_status",
    "normalize_zips",
    "parse_dates",
    "parse_datetimes",
    "parse_money",
]
