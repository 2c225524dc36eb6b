"""Where the invented people live: the company's branch regions, their cities, ZIPs and area codes.

Branch names are the canonical names of ``crm_pipeline/clean/branches.yaml`` (the cleaner's reference
table); this module adds only what the generator needs to place people: cities with real ZIP codes,
telephone area codes and a storage warehouse per branch. ``OTHER_CITIES`` are long-distance
destinations where the company has no branch. ZIPs starting with 0 (New England, New Jersey) are
there on purpose: spreadsheets drop that zero.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    """A city with the ZIP codes people in it are given."""

    name: str
    state: str
    zips: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    """The area one branch serves (or, for ``branch=None``, a city the company has no branch in)."""

    branch: str | None
    cities: tuple[City, ...]
    area_codes: tuple[str, ...]
    weight: float


def _c(name: str, state: str, zips: str) -> City:
    return City(name, state, tuple(zips.split()))


BRANCH_REGIONS: tuple[Region, ...] = (
    Region(
        "New York City",
        (
            _c("New York", "NY", "10001 10002 10003 10011 10016 10019 10023 10025 10028"),
            _c("Brooklyn", "NY", "11201 11211 11215 11217 11222 11238"),
            _c("Astoria", "NY", "11101 11102 11103 11105"),
            _c("Bronx", "NY", "10451 10452 10463 10471"),
            _c("Staten Island", "NY", "10301 10304 10314"),
            _c("Jersey City", "NJ", "07302 07304 07306 07310"),
            _c("Hoboken", "NJ", "07030"),
            _c("Yonkers", "NY", "10701 10704 10705"),
        ),
        ("212", "646", "917", "718", "347", "929", "201", "551", "914"),
        0.24,
    ),
    Region(
        "Boston",
        (
            _c("Boston", "MA", "02108 02109 02111 02114 02115 02116 02118 02127 02130"),
            _c("Cambridge", "MA", "02138 02139 02140 02141 02142"),
            _c("Somerville", "MA", "02143 02144 02145"),
            _c("Brookline", "MA", "02445 02446"),
            _c("Newton", "MA", "02458 02459 02460"),
            _c("Quincy", "MA", "02169 02170 02171"),
            _c("Waltham", "MA", "02451 02453"),
        ),
        ("617", "857", "781", "339", "508"),
        0.12,
    ),
    Region(
        "Philadelphia",
        (
            _c("Philadelphia", "PA", "19102 19103 19104 19106 19107 19123 19125 19130 19146 19147"),
            _c("Camden", "NJ", "08102 08103 08104"),
            _c("Cherry Hill", "NJ", "08002 08003 08034"),
            _c("Wilmington", "DE", "19801 19802 19805 19806"),
            _c("Upper Darby", "PA", "19082"),
            _c("King of Prussia", "PA", "19406"),
        ),
        ("215", "267", "610", "484", "856", "302"),
        0.11,
    ),
    Region(
        "Chicago",
        (
            _c("Chicago", "IL", "60601 60605 60607 60610 60611 60613 60614 60618 60622 60625 60647 60657"),
            _c("Evanston", "IL", "60201 60202"),
            _c("Oak Park", "IL", "60301 60302 60304"),
            _c("Naperville", "IL", "60540 60563 60565"),
            _c("Skokie", "IL", "60076 60077"),
        ),
        ("312", "773", "872", "847", "708", "630"),
        0.13,
    ),
    Region(
        "Los Angeles",
        (
            _c("Los Angeles", "CA", "90004 90005 90012 90017 90024 90026 90027 90034 90036 90045 90066"),
            _c("Santa Monica", "CA", "90401 90402 90403 90404 90405"),
            _c("Pasadena", "CA", "91101 91103 91104 91105 91106"),
            _c("Burbank", "CA", "91501 91502 91504 91505 91506"),
            _c("Long Beach", "CA", "90802 90803 90804 90805 90806 90807 90808 90810 90813 90814"),
            _c("Glendale", "CA", "91201 91202 91203 91204 91205 91206"),
        ),
        ("213", "323", "310", "424", "818", "747", "626", "562"),
        0.13,
    ),
    Region(
        "San Francisco",
        (
            _c("San Francisco", "CA", "94102 94103 94107 94109 94110 94112 94114 94115 94117 94118 94122"),
            _c("Oakland", "CA", "94601 94606 94607 94609 94610 94611 94612 94618"),
            _c("Berkeley", "CA", "94702 94703 94704 94705 94707 94709"),
            _c("Daly City", "CA", "94014 94015"),
            _c("San Mateo", "CA", "94401 94402 94403"),
            _c("Palo Alto", "CA", "94301 94303 94306"),
        ),
        ("415", "628", "510", "650"),
        0.09,
    ),
    Region(
        "Miami",
        (
            _c("Miami", "FL", "33125 33127 33129 33130 33131 33132 33133 33135 33137 33145 33155"),
            _c("Miami Beach", "FL", "33139 33140 33141"),
            _c("Coral Gables", "FL", "33134 33143 33146"),
            _c("Fort Lauderdale", "FL", "33301 33304 33308 33311 33312 33315 33316"),
            _c("Hialeah", "FL", "33010 33012 33013 33016"),
            _c("Hollywood", "FL", "33019 33020 33021 33023"),
        ),
        ("305", "786", "954", "754"),
        0.08,
    ),
    Region(
        "Dallas",
        (
            _c("Dallas", "TX", "75201 75204 75205 75206 75214 75219 75225 75230 75240"),
            _c("Plano", "TX", "75023 75024 75025 75074 75075 75093"),
            _c("Irving", "TX", "75038 75039 75060 75061 75062 75063"),
            _c("Garland", "TX", "75040 75041 75042 75043 75044"),
            _c("Richardson", "TX", "75080 75081 75082"),
            _c("Fort Worth", "TX", "76102 76104 76107 76109 76110"),
        ),
        ("214", "469", "972", "817", "682"),
        0.10,
    ),
)

OTHER_CITIES: Region = Region(
    None,
    (
        _c("Atlanta", "GA", "30303 30305 30306 30307 30308 30309 30312 30318"),
        _c("Washington", "DC", "20001 20002 20003 20005 20007 20008 20009 20010"),
        _c("Arlington", "VA", "22201 22202 22203 22204 22205"),
        _c("Bethesda", "MD", "20814 20816 20817"),
        _c("Denver", "CO", "80202 80205 80206 80210 80218"),
        _c("Seattle", "WA", "98101 98102 98103 98109 98115"),
        _c("Charlotte", "NC", "28202 28203 28204 28205"),
        _c("Austin", "TX", "78701 78702 78703 78704"),
        _c("Phoenix", "AZ", "85003 85004 85006"),
        _c("Nashville", "TN", "37203 37204 37206"),
        _c("Portland", "ME", "04101 04102 04103"),
        _c("Burlington", "VT", "05401 05403"),
        _c("Hartford", "CT", "06103 06105 06106"),
        _c("Providence", "RI", "02903 02906 02908"),
    ),
    ("404", "202", "703", "301", "303", "206", "704", "512", "602", "615", "207", "802", "860", "401"),
    0.0,
)

STATE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "NY": ("ny", "N.Y.", "New York", "NEW YORK", "new york"),
    "NJ": ("nj", "N.J.", "New Jersey", "NEW JERSEY"),
    "MA": ("ma", "Mass.", "Massachusetts", "MASS", "mass"),
    "PA": ("pa", "Penn.", "Pennsylvania", "Penna.", "PENNSYLVANIA"),
    "DE": ("de", "Del.", "Delaware"),
    "IL": ("il", "Ill.", "Illinois", "ILLINOIS"),
    "CA": ("ca", "Calif.", "California", "Cal.", "CALIFORNIA"),
    "FL": ("fl", "Fla.", "Florida", "FLORIDA"),
    "TX": ("tx", "Tex.", "Texas", "TEXAS"),
    "GA": ("ga", "Ga.", "Georgia"),
    "DC": ("dc", "D.C.", "District of Columbia"),
    "VA": ("va", "Va.", "Virginia"),
    "MD": ("md", "Md.", "Maryland"),
    "CO": ("co", "Colo.", "Colorado"),
    "WA": ("wa", "Wash.", "Washington"),
    "NC": ("nc", "N.C.", "North Carolina"),
    "AZ": ("az", "Ariz.", "Arizona"),
    "TN": ("tn", "Tenn.", "Tennessee"),
    "ME": ("me", "Maine"),
    "VT": ("vt", "Vt.", "Vermont"),
    "CT": ("ct", "Conn.", "Connecticut"),
    "RI": ("ri", "R.I.", "Rhode Island"),
}
"""Non-canonical spellings of each state seen in the exports (the canonical one is the 2-letter code)."""
