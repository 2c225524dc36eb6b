"""Small hand-made person rows (the Phase 2 persons.parquet contract) for the matcher's tests.

Each scenario is a group of records with the person each record really belongs to. The traps
(household, father/son, common name, shared office phone) must stay apart; the duplicates (typo,
nickname, moved house, changed email, swapped names) must merge. A few unrelated people make the
term frequencies realistic. Splink cannot train on a few dozen rows, so the tests use the
committed model in ``models/`` — what a user does with ``--model``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from crm_pipeline.config import Settings
from crm_pipeline.models import CleanPerson

REPO = Path(__file__).resolve().parents[3]
COMMITTED_MODEL = REPO / "models" / "person_model.json"

PERSON_COLUMNS = list(CleanPerson.model_fields)  # the contract's persons.parquet columns, in order

_PROFILE = {
    "sm_customers.csv": ("smartmoving_customers", "smartmoving"),
    "sm_jobs.csv": ("smartmoving_jobs", "smartmoving"),
    "legacy_customers.csv": ("legacy_customers", "legacy"),
    "legacy_jobs.csv": ("legacy_jobs", "legacy"),
    "leads.csv": ("leads", "lead"),
}


class Persons:
    """Builds person rows with unique (file, line) and remembers who each row really is."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.truth: dict[str, str] = {}  # uid -> person label
        self.scenario: dict[str, str] = {}  # uid -> scenario label
        self._lines: dict[str, int] = {}

    def add(self, person: str, scenario: str, file: str = "sm_customers.csv", **fields: Any) -> str:
        line = self._lines.get(file, 1) + 1
        self._lines[file] = line
        profile, system = _PROFILE[file]
        day = dt.date(2023, 1, 1) + dt.timedelta(days=len(self.rows))
        row: dict[str, Any] = dict.fromkeys(PERSON_COLUMNS)
        row.update(
            uid=f"{file}#{line}",
            file=file,
            line=line,
            record_id=f"{file.split('.')[0]}-{line}",
            profile=profile,
            source_system=system,
            created_at=dt.datetime.combine(day, dt.time(12)),
            event_date=day,
            branch="Boston",
        )
        row.update(fields)
        self.rows.append(row)
        self.truth[row["uid"]] = person
        self.scenario[row["uid"]] = scenario
        return str(row["uid"])

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema_overrides={"line": pl.Int64}, infer_schema_length=None).select(
            PERSON_COLUMNS
        )

    def write(self, processed_dir: Path) -> Path:
        processed_dir.mkdir(parents=True, exist_ok=True)
        path = processed_dir / "persons.parquet"
        self.frame().write_parquet(path)
        return path


def build_scenarios() -> Persons:
    p = Persons()

    # --- trap: a household shares address, home phone, last name and (sometimes) a family email
    home = {
        "street": "12 OAK ST",
        "city": "SPRINGFIELD",
        "state": "IL",
        "zip": "62704",
        "phone": "+12175550101",
    }
    members = [
        ("Mary", "mary.j.1971@gmail.com"),
        ("Robert", "rjohnson88@yahoo.com"),
        ("Emily", "em.j@me.com"),
    ]
    for first, mail in members:
        p.add(first, "household", first_name=first, last_name="Johnson", email=mail, **home)
        family_mail = "johnsonfamily@gmail.com"
        p.add(
            first,
            "household",
            "sm_jobs.csv",
            first_name=first,
            last_name="Johnson",
            email=family_mail,
            **home,
        )

    # --- trap: father and son with the same name at one address (Sr./Jr.)
    carter = {"first_name": "James", "last_name": "Carter", "street": "40 ELM AVE", "city": "DAYTON"}
    carter |= {"state": "OH", "zip": "45402"}
    generations = [("SR", "jcarter.sr@aol.com", "+19375550111"), ("JR", "jimmyc22@gmail.com", "+19375550122")]
    for suffix, mail, mobile in generations:
        who = f"carter-{suffix}"
        p.add(who, "father_son", name_suffix=suffix, email=mail, phone=mobile, **carter)
        landline = "+19375550100"
        p.add(
            who,
            "father_son",
            "legacy_customers.csv",
            name_suffix=suffix,
            email=mail,
            phone=landline,
            **carter,
        )

    # --- trap: a very common name in different cities (mailbox names that are just the name)
    cities = [
        ("BOSTON", "MA", "02108", "1 BEACON ST", "john.smith@gmail.com", "+16175550131"),
        ("CHICAGO", "IL", "60601", "200 LAKE ST", "johnsmith@yahoo.com", "+13125550132"),
        ("DALLAS", "TX", "75201", "9 MAIN ST", "john_smith@outlook.com", "+12145550133"),
    ]
    for city, state, zip_, street, mail, phone in cities:
        where = {"street": street, "city": city, "state": state, "zip": zip_}
        for file in ("sm_customers.csv", "legacy_jobs.csv"):
            p.add(
                f"smith-{city}",
                "common_name",
                file,
                first_name="John",
                last_name="Smith",
                email=mail,
                phone=phone,
                **where,
            )

    # --- trap: business customers giving their company's office phone
    office = {"street": "500 COMMERCE DR", "city": "HARTFORD", "state": "CT", "zip": "06103"}
    office_phone = "+18605550140"
    for first, last in (("Alan", "Brooks"), ("Priya", "Shah"), ("Diego", "Ramos"), ("Grace", "Kim")):
        who, mail = f"office-{first}", f"{first.lower()}.{last.lower()}@acmecorp.com"
        name = {"first_name": first, "last_name": last}
        p.add(who, "office", email=mail, phone=office_phone, phone_type="office", **name, **office)
        p.add(who, "office", "leads.csv", phone=office_phone, zip=office["zip"], **name)

    # --- duplicates: typo
    kw = {"email": "kwilson.designs@gmail.com", "phone": "+15035550150", "street": "77 ROSE LN"}
    kw |= {"city": "PORTLAND", "state": "OR", "zip": "97201"}
    p.add("wilson", "typo", first_name="Katherine", last_name="Wilson", **kw)
    p.add("wilson", "typo", "legacy_customers.csv", first_name="Katherine", last_name="Wislon", **kw)
    p.add("wilson", "typo", "sm_jobs.csv", first_name="Kathreine", last_name="Wilson", **kw)

    # --- duplicates: nickname
    tw = {"last_name": "Turner", "phone": "+14155550160", "zip": "94607"}
    at = {"street": "8 BAY ST", "city": "OAKLAND", "state": "CA"}
    p.add("turner", "nickname", first_name="William", email="wturner.sf@gmail.com", **tw, **at)
    p.add("turner", "nickname", "leads.csv", first_name="Bill", **tw)
    p.add("turner", "nickname", "legacy_jobs.csv", first_name="Billy", **tw, **at)

    # --- duplicates: moved house; the later record has no email or phone, only name and history
    new_home = {"street": "99 PINE RD", "city": "SAINT PAUL", "state": "MN", "zip": "55101"}
    moved_to = {f"dest_{k}": v for k, v in new_home.items()}
    old_home = {"street": "5 ELM ST", "city": "MINNEAPOLIS", "state": "MN", "zip": "55401"}
    contact = {"email": "susan.m.writes@gmail.com", "phone": "+16125550170"}
    p.add(
        "miller",
        "moved",
        "sm_jobs.csv",
        first_name="Susan",
        last_name="Miller",
        **contact,
        **old_home,
        **moved_to,
    )
    p.add("miller", "moved", "legacy_customers.csv", first_name="Sue", last_name="Miller", **new_home)

    # --- duplicates: changed email (same phone and address)
    dg = {"first_name": "Daniel", "last_name": "Garcia", "phone": "+13055550180", "street": "31 CORAL WAY"}
    dg |= {"city": "MIAMI", "state": "FL", "zip": "33131"}
    p.add("garcia", "changed_email", email="dgarcia.old@hotmail.com", **dg)
    p.add("garcia", "changed_email", "sm_jobs.csv", email="daniel.g.miami@gmail.com", **dg)

    # --- duplicates: first and last name swapped
    tn = {"email": "tnguyen.art@gmail.com", "phone": "+12065550190", "street": "3 PIKE ST"}
    tn |= {"city": "SEATTLE", "state": "WA", "zip": "98101"}
    p.add("nguyen", "swapped", first_name="Thomas", last_name="Nguyen", **tn)
    p.add("nguyen", "swapped", "legacy_customers.csv", first_name="Nguyen", last_name="Thomas", **tn)

    # --- duplicates: a typo on a short first name, with a personal email or phone in common
    for who, (first, typo), last, mail, phone in (
        ("taylor", ("John", "Jhn"), "Taylor", "jtaylor.hikes@gmail.com", "+15125550201"),
        ("walsh", ("Don", "Dn"), "Walsh", None, "+15125550202"),
        ("moreno", ("Deb", "Dtb"), "Moreno", "debmoreno77@yahoo.com", None),
    ):
        where = {"street": f"{len(who)} RIVER RD", "city": "AUSTIN", "state": "TX", "zip": "78701"}
        p.add(who, "short_typo", first_name=first, last_name=last, email=mail, phone=phone, **where)
        p.add(who, "short_typo", "legacy_jobs.csv", first_name=typo, last_name=last, email=mail, phone=phone)

    # --- duplicates: diminutives the `nicknames` package lacks (nicknames_extra.csv)
    for who, (formal, short), mail, phone in (
        ("reyes", ("Catherine", "Cat"), "creyes.pottery@gmail.com", None),
        ("ortiz", ("Susan", "Suzy"), None, "+19155550212"),
        ("alvarez", ("Jesus", "Chuy"), "jalvarez.elpaso@gmail.com", "+19155550213"),
    ):
        name = {"last_name": who.capitalize(), "email": mail, "phone": phone}
        p.add(who, "nickname_extra", first_name=formal, zip="79901", **name)
        p.add(who, "nickname_extra", "leads.csv", first_name=short, **name)

    # --- trap: Tom and Tim (one letter apart) in one household; the landline and the family email
    # are also Linda's, so they are no personal identifier
    home = {"last_name": "Bakewell", "street": "8 HILL ST", "city": "AKRON", "state": "OH", "zip": "44308"}
    home["phone"] = "+13305550220"
    for first in ("Tom", "Tim", "Linda"):
        p.add(first, "household_short", first_name=first, email=f"{first.lower()}b91@aol.com", **home)
        p.add(
            first,
            "household_short",
            "legacy_jobs.csv",
            first_name=first,
            email="thebakewells@aol.com",
            **home,
        )

    # --- trap: two people with one rare name in one town, nothing else in common (a link on name
    # and place alone needs more than the ordinary threshold)
    for who, street, zip_ in (("weeks-a", "21 GULF LN", "32363"), ("weeks-b", "577 PINE ISLAND WAY", None)):
        where = {"street": street, "city": "TALLAHASSEE", "state": "FL", "zip": zip_}
        p.add(who, "namesake_same_town", first_name="Theresa", last_name="Weeks", **where)

    # --- trap: a father whose records show the SR and a son whose records lack the JR, each with a
    # phone of his own (engine.CONTACT_CONFLICT)
    benitez = {"first_name": "Rodney", "last_name": "Benitez", "street": "3091 BEE RIDGE TER"}
    benitez |= {"city": "PLANT CITY", "state": "FL", "zip": "33512"}
    for file in ("legacy_customers.csv", "legacy_jobs.csv"):
        p.add("benitez-sr", "father_son_no_jr", file, name_suffix="SR", phone="+18135664709", **benitez)
    p.add("benitez-jr", "father_son_no_jr", "legacy_customers.csv", phone="+18133503623", **benitez)

    # --- trap: household members whose first names are nicknames of each other, each with an email
    # and a phone of their own
    goncalves = {"last_name": "Goncalves", "street": "4227 TENNESSEE WAY", "city": "ORANGE PARK"}
    goncalves |= {"state": "FL", "zip": "32034"}
    for first, phone in (("Bella", "+19048554725"), ("Isabella", "+19045010761")):
        mail = f"{first.lower()}.goncalves@outlook.com"
        p.add(first, "nickname_household", first_name=first, email=mail, phone=phone, **goncalves)
        p.add(
            first, "nickname_household", "sm_jobs.csv", first_name=first, email=mail, phone=phone, **goncalves
        )

    # --- duplicates: one record's street came without ZIP and city; another shows a JR the others
    # lack, with no email or phone of its own (nothing conflicts, so it joins)
    young = {"first_name": "Hugh", "last_name": "Youngblood", "street": "1858 ORANGE BLOSSOM LN"}
    p.add(
        "youngblood", "street_no_town", city="BRANDON", state="FL", zip="33534", phone="+18132216070", **young
    )
    p.add("youngblood", "street_no_town", "sm_jobs.csv", **young)
    p.add("youngblood", "street_no_town", "legacy_customers.csv", name_suffix="JR", city="BRANDON", **young)

    # --- background: unrelated people (realistic term frequencies)
    firsts = "Olivia Liam Ava Noah Sophia Lucas Mia Ethan Zoe Owen Chloe Caleb".split()
    lasts = "Baker Reed Hayes Price Ward Foster Gray Hughes Myers Long Ross Perry".split()
    for i, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
        where = {"street": f"{100 + i} CEDAR ST", "city": "DENVER", "state": "CO", "zip": "80202"}
        mail, phone = f"{first.lower()}{i}x@mail.com", f"+1720555{i:04d}"
        p.add(f"bg-{i}", "background", first_name=first, last_name=last, email=mail, phone=phone, **where)
    return p


def settings_for(home: Path) -> Settings:
    return Settings(home=home, database_url=None)
