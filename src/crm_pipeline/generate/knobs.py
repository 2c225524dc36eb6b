"""The knobs of the sample-data generator: every proportion of the generated mix in one place.

Read this class to see what the data looks like: most rows are clean, a few per cent carry each kind
of mess, and a handful are deliberately unreadable so the cleaner has something to quarantine.
Rates are probabilities per rendered value (or per row for structural messes) unless said otherwise.
``min_*`` counts guarantee that rare phenomena occur at least that often per file, whatever the size,
so a small test run still exercises them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Knobs:
    """Proportions of people, duplicates, traps and messes in the generated exports."""

    # ---------------------------------------------------------------- people and their history
    jobs_per_person_weights: tuple[float, float, float, float, float] = (0.25, 0.40, 0.20, 0.10, 0.05)
    """Weights of 0, 1, 2, 3, 4 jobs per person (or per household) over 2019–2026."""
    long_distance_rate: float = 0.18
    """Share of moves that leave the branch's region (another branch or a city with no branch)."""
    storage_out_rate: float = 0.6
    """Share of "Storage In" jobs followed by a "Storage Out" job under the same quote (seq 2)."""
    email_change_rate: float = 0.15
    """Share of people who switch to a new email address at some point (same phone and address)."""
    middle_name_rate: float = 0.35
    """Share of people who have a middle name (shown in a record only sometimes)."""
    accented_name_rate: float = 0.06
    """Share of people whose first or last name carries an accent (José, Muñoz, Zoë)."""
    particle_name_rate: float = 0.04
    """Share of people whose last name has an apostrophe, hyphen or Mc/Mac prefix (O'Neil, McDonald)."""

    # ---------------------------------------------------------------- traps (must NOT merge)
    family_people_rate: float = 0.07
    """Share of people living in a family household: 2–4 people at one address with one last name and a
    shared home phone, each their own customer."""
    family_email_rate: float = 0.35
    """Share of family households that also share one family email on some of their records."""
    father_son_people_rate: float = 0.012
    """Share of people in a father/son pair with the same name (Sr./Jr.) at one address."""
    office_people_rate: float = 0.025
    """Share of people who are business customers of a company that share its office phone."""
    home_phone_use_rate: float = 0.55
    """Share of a family member's records that give the shared home phone (else their mobile)."""
    family_email_use_rate: float = 0.5
    """Share of a family member's records that give the family email, when the family has one."""
    office_phone_use_rate: float = 0.75
    """Share of a business customer's records that give the shared office phone."""
    work_email_use_rate: float = 0.6
    """Share of a business customer's records that give the work email."""
    common_name_people_rate: float = 0.006
    """Share of people given a very common name ("John Smith"), spread over different cities."""

    # ---------------------------------------------------------------- duplicates (must merge)
    sm_legacy_overlap_rate: float = 0.6
    """Share of jobs created while both CRMs ran (Sep 2021 – Jun 2022) entered in both systems."""
    legacy_stale_rate: float = 0.35
    """Share of those double-entered jobs whose legacy copy was never updated (status, total)."""
    sm_customer_dup_rate: float = 0.04
    """Share of SmartMoving customers entered a second time under a new Customer Id."""
    legacy_customer_dup_rate: float = 0.03
    """Share of legacy customers entered a second time under a new customer_id."""
    lead_per_job_rate: float = 0.35
    """Share of jobs preceded by an inquiry on the lead list."""
    lead_dup_rate: float = 0.08
    """Share of leads submitted twice (two lead providers, a few days apart)."""
    job_customer_id_blank_rate: float = 0.03
    """Share of SmartMoving job rows whose Customer Id is blank."""
    record_id_blank_rate: float = 0.003
    """Share of rows whose own id column is blank (their record_id becomes ``line:N``)."""

    # ---------------------------------------------------------------- names
    name_nickname_rate: float = 0.07
    """Nickname instead of the given name (Bob for Robert), for names that have one."""
    name_middle_initial_rate: float = 0.12
    """Middle initial shown (for people who have a middle name)."""
    name_middle_full_rate: float = 0.08
    """Full middle name shown (for people who have a middle name)."""
    name_title_rate: float = 0.03
    """Title in front (Dr., Mr., Mrs., Ms.)."""
    name_suffix_shown_rate: float = 0.85
    """Suffix (Jr., Sr., III) shown, for people who have one."""
    name_last_first_rate: float = 0.04
    """Written "Last, First"."""
    name_swapped_rate: float = 0.015
    """First and last name swapped ("Smith John", or swapped legacy columns)."""
    name_upper_rate: float = 0.04
    """All upper case."""
    name_lower_rate: float = 0.025
    """All lower case."""
    name_typo_rate: float = 0.02
    """One typo (dropped, doubled, swapped or neighbouring-key letter) in the first or last name."""
    name_extra_spaces_rate: float = 0.02
    """Leading, trailing or doubled spaces."""
    name_quoted_nickname_rate: float = 0.004
    """Nickname in double quotes inside the name: Robert "Bob" Smith."""
    accent_stripped_rate: float = 0.35
    """Accents dropped (Jose Garcia) on a record of a person whose name has them."""
    curly_apostrophe_rate: float = 0.3
    """O’Neil with a typographic apostrophe (legacy, Windows-1252) for names with an apostrophe."""

    # ---------------------------------------------------------------- emails
    email_missing_rate: float = 0.07
    email_case_rate: float = 0.05
    """Mixed or upper case (John.Smith@Gmail.com)."""
    email_spaces_rate: float = 0.02
    email_placeholder_rate: float = 0.02
    """"none", "n/a", "noemail@noemail.com", ..."""
    email_invalid_rate: float = 0.015
    """Broken syntax: missing @, missing domain, inner space, double @."""

    # ---------------------------------------------------------------- phones
    phone_missing_rate: float = 0.04
    phone_placeholder_rate: float = 0.01
    """"000-000-0000", "555-555-5555", "1234567890"."""
    phone_too_short_rate: float = 0.007
    """Area code or a digit lost (555-1234)."""
    phone_ext_rate: float = 0.5
    """Share of office-phone records that carry the person's extension (x12, ext. 204)."""
    secondary_phone_rate: float = 0.3
    """Share of SmartMoving / legacy customer rows with a second phone."""

    # ---------------------------------------------------------------- addresses
    address_missing_rate: float = 0.03
    """The whole address blank."""
    address_partial_rate: float = 0.03
    """Only some parts of the address (no street, or no city/state)."""
    address_newline_rate: float = 0.01
    """A one-string address split over two lines inside a quoted field."""
    address_case_rate: float = 0.05
    """Address written upper or lower case."""
    street_spelled_rate: float = 0.25
    """Street suffix / unit spelled out or punctuated (Street, St., Apartment 4, #4)."""
    street_typo_rate: float = 0.01
    state_variant_rate: float = 0.1
    """State not as the 2-letter code: "ca", "Calif.", "California"."""
    zip4_rate: float = 0.08
    """ZIP+4 (02139-4307)."""
    zip_lost_zero_rate: float = 0.35
    """Leading zero lost (2139) in spreadsheet-born files (legacy, leads), for ZIPs that start with 0."""
    zip_lost_zero_rate_sm: float = 0.03
    """Same, in SmartMoving files."""
    zip_float_rate: float = 0.01
    """ZIP as a spreadsheet float: "2139.0"."""
    zip_missing_rate: float = 0.02

    # ---------------------------------------------------------------- codes, dates, money
    branch_alias_rate: float = 0.25
    """Branch written as one of its aliases (NYC, Philly, DFW) in any case."""
    branch_typo_rate: float = 0.02
    """Branch with a one-letter typo ("Nwe York"), caught by fuzzy matching."""
    code_case_rate: float = 0.1
    """Status / service type in another case or with stray spaces."""
    unknown_branch_rate: float = 0.002
    """Branch that is no branch of the company: the row must be quarantined."""
    unreadable_date_rate: float = 0.002
    """Date that cannot be read ("2023-02-30", "next spring"): the row must be quarantined."""
    lead_move_date_missing_rate: float = 0.03
    """Lead with no move date yet (blank, not an error)."""

    # ---------------------------------------------------------------- structure of the files
    blank_line_rate: float = 0.002
    """Blank line between rows (per row, in files that have them)."""
    empty_row_rate: float = 0.001
    """Row of only delimiters (",,,,,") between rows, in the legacy customer file."""
    trailing_delimiter_rate: float = 0.01
    """Row ending with an extra delimiter (lead list, legacy customers)."""
    ragged_short_rate: float = 0.002
    """Row missing its last cells, in the lead list: must be quarantined (``ragged_row``)."""
    ragged_long_rate: float = 0.001
    """Row with an unquoted delimiter inside a value, so its cells shift: must be quarantined."""
    nul_byte_rate: float = 0.0005
    """NUL byte inside a value."""
    min_rare_per_file: int = 2
    """Minimum count per file of each rare structural mess or quarantine case the file carries."""
    long_field_chars: int = 200_000
    """Length of the one absurdly long value (over Python csv's default field limit): quarantined."""
