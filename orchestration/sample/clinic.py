"""The sample clinic's reference data: the practice, its payers and providers, where its
patients live, and the names they go by.

Lakeside Family Health Clinic is a Chicago practice whose patients mostly live in Illinois and
the neighbouring states, with a few far away (other time zones, Hawaii, Alaska). Names carry
accents, apostrophes, hyphens and spaces on purpose: the outputs must handle them.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from orchestration.raw.x12.writer import Party

CLINIC = Party("LAKESIDE FAMILY HEALTH CLINIC", "XX", "1467352918", "2200 N LAKEVIEW AVE", "CHICAGO", "IL", "606141234")
CLINIC_TIN = "364455667"
CLINIC_RECEIVER_ID = "LAKESIDEFHC"


class Payer(NamedTuple):
    id: str
    name: str
    insured_share: float  # share of the insured patients
    claim_filing_indicator: str  # CLP06
    tax_id: str
    payment_method: str  # ACH | CHK
    line_breaks: bool  # a line break after each segment terminator
    address: tuple[str, str, str, str]  # street, city, state, zip
    sends_st03: bool = True  # many real payers leave ST03 out


PAYERS = [
    Payer(
        "BCBS01",
        "BLUE CROSS BLUE SHIELD OF ILLINOIS",
        0.30,
        "12",
        "361236610",
        "ACH",
        False,
        ("300 E RANDOLPH ST", "CHICAGO", "IL", "606015099"),
    ),
    Payer(
        "UHC",
        "UNITEDHEALTHCARE INSURANCE COMPANY",
        0.22,
        "13",
        "411289245",
        "ACH",
        True,
        ("PO BOX 30555", "SALT LAKE CITY", "UT", "841300555"),
    ),
    Payer(
        "MEDICARE",
        "MEDICARE PART B JURISDICTION 6",
        0.20,
        "MB",
        "366000601",
        "ACH",
        True,
        ("PO BOX 6475", "INDIANAPOLIS", "IN", "462066475"),
    ),
    Payer(
        "AETNA",
        "AETNA LIFE INSURANCE COMPANY",
        0.18,
        "12",
        "060876836",
        "CHK",
        False,
        ("PO BOX 981106", "EL PASO", "TX", "799981106"),
        sends_st03=False,
    ),
    Payer(
        "CIGNA",
        "CIGNA HEALTHCARE",
        0.10,
        "HM",
        "060303370",
        "ACH",
        False,
        ("PO BOX 188061", "CHATTANOOGA", "TN", "374228061"),
        sends_st03=False,
    ),
]
PAYER_IDS = [p.id for p in PAYERS]
PAYER_COUNT = len(PAYERS)
SELF_PAY = PAYER_COUNT  # the payer code of an uninsured visit
PAYER_LABELS = PAYER_IDS + ["SELFPAY"]  # primary/secondary_payer_id text by payer code
MEDICARE = PAYER_IDS.index("MEDICARE")


def payer_party(code: int) -> Party:
    payer = PAYERS[code]
    street, city, state, zip_code = payer.address
    return Party(payer.name, "XV", payer.id, street, city, state, zip_code)


class Provider(NamedTuple):
    npi: str
    specialty: str
    location: str
    charge_multiplier: float
    cpt_codes: tuple[str, str, str, str]


PROVIDERS = [
    Provider("1386719204", "family_medicine", "Main Clinic", 0.8, ("99213", "99214", "36415", "81002")),
    Provider("1609234871", "family_medicine", "North Campus", 0.8, ("99213", "99214", "90471", "87880")),
    Provider("1245391786", "pediatrics", "Main Clinic", 0.7, ("99392", "90460", "99213", "96110")),
    Provider("1932068215", "cardiology", "Heart Center", 1.8, ("93000", "93306", "99204", "93017")),
    Provider("1770482953", "orthopedics", "North Campus", 1.6, ("73562", "20610", "99203", "29881")),
    Provider("1518960374", "dermatology", "Main Clinic", 1.0, ("11102", "17000", "99213", "11305")),
    Provider("1093847562", "radiology", "Imaging Center", 1.4, ("71046", "74177", "70450", "76700")),
    Provider("1851736409", "internal_medicine", "South Clinic", 1.0, ("99214", "99215", "80053", "85025")),
]
PROVIDER_WEIGHTS = [3, 2, 2, 1, 1, 1, 1, 2]  # share of the visits
CPT_CODES = [code for p in PROVIDERS for code in p.cpt_codes]  # provider p's k-th code at 4 p + k


class Location(NamedTuple):
    city: str
    state: str
    zip3: str
    area_code: str
    timezone: str
    weight: float


LOCATIONS = [
    Location("Chicago", "IL", "606", "312", "America/Chicago", 30),
    Location("Chicago", "IL", "606", "773", "America/Chicago", 15),
    Location("Evanston", "IL", "602", "847", "America/Chicago", 5),
    Location("Naperville", "IL", "605", "630", "America/Chicago", 6),
    Location("Oak Park", "IL", "603", "708", "America/Chicago", 4),
    Location("Springfield", "IL", "627", "217", "America/Chicago", 2),
    Location("Milwaukee", "WI", "532", "414", "America/Chicago", 6),
    Location("Gary", "IN", "464", "219", "America/Chicago", 3),
    Location("Indianapolis", "IN", "462", "317", "America/Indiana/Indianapolis", 3),
    Location("Detroit", "MI", "482", "313", "America/Detroit", 2),
    Location("St. Louis", "MO", "631", "314", "America/Chicago", 3),
    Location("Minneapolis", "MN", "554", "612", "America/Chicago", 2),
    Location("Houston", "TX", "770", "713", "America/Chicago", 2),
    Location("El Paso", "TX", "799", "915", "America/Denver", 1),
    Location("Miami", "FL", "331", "305", "America/New_York", 2),
    Location("Pensacola", "FL", "325", "850", "America/Chicago", 1),
    Location("New York", "NY", "100", "212", "America/New_York", 2),
    Location("Los Angeles", "CA", "900", "213", "America/Los_Angeles", 2),
    Location("Phoenix", "AZ", "850", "602", "America/Phoenix", 1),
    Location("Denver", "CO", "802", "303", "America/Denver", 1),
    Location("Nashville", "TN", "372", "615", "America/Chicago", 1),
    Location("Atlanta", "GA", "303", "404", "America/New_York", 1),
    Location("Honolulu", "HI", "968", "808", "Pacific/Honolulu", 0.5),
    Location("Anchorage", "AK", "995", "907", "America/Anchorage", 0.5),
    Location("Louisville", "KY", "402", "502", "America/Kentucky/Louisville", 1),
    Location("Des Moines", "IA", "503", "515", "America/Chicago", 1),
    Location("Columbus", "OH", "432", "614", "America/New_York", 1),
    Location("Washington", "DC", "200", "202", "America/New_York", 0.5),
]

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "José",
    "María",
    "Luis",
    "Ana",
    "Carlos",
    "Sofía",
    "Wei",
    "Mei",
    "Minh",
    "Linh",
    "Aisha",
    "Omar",
    "Zoë",
    "Chloé",
    "Kwame",
    "Ngozi",
    "Dmitri",
    "Olga",
    "Priya",
    "Arjun",
    "Hiroshi",
    "Yuki",
    "Siobhan",
    "Seán",
    "Mateo",
    "Camila",
    "Jamal",
    "Keisha",
    "Tyler",
    "Brianna",
    "Mary Ann",
    "Jean-Luc",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "O'Brien",
    "Kowalski",
    "Nowak",
    "Müller",
    "Peña",
    "Ibáñez",
    "Nguyễn",
    "Kim",
    "Park",
    "Patel",
    "Shah",
    "Okafor",
    "Mensah",
    "Ivanova",
    "Schmidt",
    "Van der Berg",
    "St. John",
    "Smith-Jones",
    "Yamamoto",
    "Cohen",
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Washington Blvd",
    "Lake Shore Dr",
    "Park Ave",
    "Pine St",
    "Lincoln Ave",
    "Madison St",
    "Halsted St",
    "Clark St",
    "Division St",
    "Western Ave",
    "Ashland Ave",
    "Belmont Ave",
    "Irving Park Rd",
    "Sheridan Rd",
    "Cicero Ave",
]
ADDRESS_LINE2 = [
    "Apt 1",
    "Apt 2B",
    "Apt 3, Rear",
    "Unit 4",
    "Unit 12C",
    "Suite 200, Bldg B",
    "Apt 5F",
    "Fl 2",
    "Apt 101",
    "Unit 7",
    "#3",
    "Apt 9A",
    "Basement Unit",
    'Apt 14, c/o "Grandma" Ruiz',
]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]
LANGUAGES = ["en", "es", "vi", "zh-Hans", "pl", "ar"]
LANGUAGE_WEIGHTS = [0.82, 0.12, 0.02, 0.02, 0.01, 0.01]


def ascii_text(s: str) -> str:
    """`s` without accents (X12 and e-mail addresses are ASCII)."""
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


FIRST_NAMES_X12 = [ascii_text(n).upper().replace("-", " ") for n in FIRST_NAMES]
LAST_NAMES_X12 = [ascii_text(n).upper() for n in LAST_NAMES]
FIRST_NAMES_EMAIL = [ascii_text(n).lower().replace(" ", "").replace("-", "") for n in FIRST_NAMES]
LAST_NAMES_EMAIL = [
    ascii_text(n).lower().replace(" ", "").replace("'", "").replace(".", "").replace("-", "") for n in LAST_NAMES
]
