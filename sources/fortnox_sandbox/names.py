"""Swedish names, addresses and identity numbers for sandbox companies, customers and suppliers.

Organisation numbers and OCR references carry valid Luhn (modulus 10) check digits, because the
pipeline and real Fortnox validate them; everything is drawn from the caller's `random.Random`.
"""

from __future__ import annotations

import random
from typing import Final

FIRST_NAMES: Final = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Åsa", "Linnéa", "Maja", "Ingrid", "Kristina",
    "Erik", "Lars", "Anders", "Per", "Johan", "Björn", "Göran", "Jöns", "Mikael", "Örjan",
)  # fmt: skip
LAST_NAMES: Final = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Lindqvist", "Åkesson", "Björklund", "Öberg",
    "Wästberg", "Ström", "Sjögren", "Hägglund", "Nyström", "Lundén",
)  # fmt: skip
NAME_STEMS: Final = (
    "Norrsken", "Fjällbäck", "Älvdal", "Skärgårds", "Björkö", "Solvik", "Granlunds",
    "Östra Hamnens", "Måsens", "Lövholmens", "Sjöbergs", "Ekängens", "Tallbacka", "Hällefors",
    "Rönnskär", "Vätterns", "Källbackens", "Gröna Dalens", "Stenåsens", "Kungsörns",
    "Blåklints", "Ängsbackens", "Snöstjärne", "Järnverkets", "Ljungby", "Säters",
)  # fmt: skip
TRADES: Final = (
    "Bygg", "El", "Konsult", "Data", "Redovisning", "Måleri", "Transport", "Café",
    "Reklambyrå", "Fastighetsservice", "Teknik", "Städ", "Trädgård", "Rör", "Tryckeri",
)  # fmt: skip
LEGAL_FORMS: Final = ("AB", "AB", "AB", "Handelsbolag", "& Söner AB", "Ekonomisk förening")
CITIES: Final = (
    ("Stockholm", "114"), ("Göteborg", "411"), ("Malmö", "211"), ("Uppsala", "753"),
    ("Västerås", "722"), ("Örebro", "702"), ("Linköping", "582"), ("Jönköping", "553"),
    ("Umeå", "903"), ("Luleå", "972"), ("Sundsvall", "852"), ("Gävle", "803"),
    ("Borås", "503"), ("Växjö", "352"), ("Östersund", "831"), ("Skellefteå", "931"),
)  # fmt: skip
STREETS: Final = (
    "Storgatan", "Drottninggatan", "Kungsgatan", "Järnvägsgatan", "Skolvägen", "Åsgatan",
    "Södra Vägen", "Björkvägen", "Hamngatan", "Östra Långgatan", "Kyrkogatan", "Ängsvägen",
)  # fmt: skip
_LUHN_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # digit * 2, digits summed
EU_COMPANIES: Final = (
    ("Nordlicht Software GmbH", "Hamburg", "20095", "DE"),
    ("Van der Berg Logistiek B.V.", "Rotterdam", "3011", "NL"),
    ("Helsingin Tekniikka Oy", "Helsinki", "00100", "FI"),
    ("Société Lumière SARL", "Lyon", "69002", "FR"),
    ("Kowalski Systemy Sp. z o.o.", "Gdansk", "80-001", "PL"),
    ("Aarhus Design ApS", "Aarhus", "8000", "DK"),
)


def luhn_check_digit(digits: str) -> int:
    """Return the modulus-10 (Luhn) digit that makes `digits` + it a valid number.

    Swedish organisation numbers, personal identity numbers and OCR references all use it.
    """
    total = 0
    doubled = True  # the digit next to the check digit is doubled
    for char in reversed(digits):
        digit = ord(char) - 48
        total += _LUHN_DOUBLED[digit] if doubled else digit
        doubled = not doubled
    return -total % 10


def is_valid_luhn(number: str) -> bool:
    """True if the digits of `number` (dashes ignored) end with a correct Luhn check digit."""
    digits = number.replace("-", "")
    return digits.isdigit() and luhn_check_digit(digits[:-1]) == int(digits[-1])


def organisation_number(rng: random.Random, legal_entity: bool = True) -> str:
    """Draw an organisation number `NNNNNN-NNNN` with a valid check digit.

    Aktiebolag numbers start with 55 or 556 (third digit >= 2 marks a legal entity).
    """
    prefix = "5" + str(rng.choice((5, 5, 5, 6, 9)) if legal_entity else rng.randint(0, 9))
    body = prefix + f"{rng.randint(2000, 9999):04d}" + f"{rng.randint(0, 999):03d}"
    return f"{body[:6]}-{body[6:]}{luhn_check_digit(body)}"


def ocr_reference(document_number: int) -> str:
    """Fortnox-style OCR: the number, a length digit, then a Luhn check digit over both."""
    base = str(document_number)
    with_length = base + str((len(base) + 2) % 10)
    return with_length + str(luhn_check_digit(with_length))


def person_name(rng: random.Random) -> str:
    """Draw a Swedish first and last name, e.g. "Jöns Åkesson"."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def company_name(rng: random.Random) -> str:
    """Draw a plausible Swedish company name such as "Älvdal Bygg AB"."""
    return f"{rng.choice(NAME_STEMS)} {rng.choice(TRADES)} {rng.choice(LEGAL_FORMS)}"


def street_address(rng: random.Random) -> tuple[str, str, str]:
    """Draw (street address, postcode "NNN NN", city) in a real Swedish city."""
    city, zip_prefix = rng.choice(CITIES)
    street = f"{rng.choice(STREETS)} {rng.randint(1, 60)}"
    return street, f"{zip_prefix} {rng.randint(10, 99)}", city


def phone_number(rng: random.Random) -> str:
    """Draw a Swedish mobile number in the usual written form."""
    return (
        f"07{rng.randint(0, 9)}-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    )


def email_for(name: str, rng: random.Random) -> str:
    """Make an ASCII e-mail address from a company name (å ä ö folded, as people do)."""
    folded = name.lower().translate(str.maketrans("åäöéü", "aaoeu"))
    local = rng.choice(("info", "faktura", "ekonomi", "kontakt"))
    domain = "".join(ch for ch in folded.split(" ")[0] if ch.isalnum()) or "foretag"
    return f"{local}@{domain}.se"


def bank_giro(rng: random.Random) -> str:
    """Draw a bankgiro number (NNN-NNNN or NNNN-NNNN) with a Luhn check digit."""
    body = f"{rng.randint(100, 9999)}{rng.randint(100, 999)}"
    number = body + str(luhn_check_digit(body))
    return f"{number[:-4]}-{number[-4:]}"
