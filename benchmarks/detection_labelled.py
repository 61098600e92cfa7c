"""A labelled set of columns for the personal-data detector: names and value samples, each labelled
with the kind of personal data it holds (or ``None``).

Deterministic (seeded). Names mix French and English, plain and prefixed (``cust_``, ``_1``),
some columns have opaque names (``col_17``) so only their values can tell, and the negatives are
chosen to look like positives: 16-digit references that fail Luhn, 15-digit numbers that fail the
NIR key, creation dates, product and company names, BIC codes, amounts, postcodes, hashes.
Person names are drawn from lists larger than the detector's lexicon, so recall is not flattered.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

SAMPLE = 60


@dataclass(frozen=True)
class Labelled:
    name: str
    values: tuple[str, ...]
    kind: str | None  # catalog.profiling.detection kinds, None = not personal


FIRST = [
    "Marie",
    "Jean",
    "Pierre",
    "Michel",
    "Sophie",
    "Camille",
    "Lucas",
    "Emma",
    "Hugo",
    "Chloé",
    "Léa",
    "Manon",
    "Thomas",
    "Nicolas",
    "Julie",
    "Aurélie",
    "Mathis",
    "Nathan",
    "Enzo",
    "Clément",
    "Théo",
    "Maël",
    "Jade",
    "Inès",
    "Zoé",
    "Anaïs",
    "Océane",
    "Yanis",
    "Bastien",
    "Gaëlle",
    "Solène",
    "Mélanie",
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "Olivia",
    "Noah",
    "Liam",
    "Ava",
    "Ethan",
    "Mia",
    "Harper",
    "Elijah",
    "Amelia",
    "Logan",
    "Aria",
    "Mateo",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "Nguyen",
    "Benali",
    "Kowalski",
    "Rossi",
    "Schmitt",
    "Hoarau",
    "Le",
    "Gall",
    "Kerbrat",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
]
STREETS_FR = ["rue", "avenue", "boulevard", "chemin", "allée", "impasse", "place", "quai", "route"]
STREET_NAMES = ["de la Paix", "Victor Hugo", "des Lilas", "Jean Jaurès", "du Moulin", "de la Gare", "Pasteur"]
STREETS_EN = ["Street", "Road", "Lane", "Avenue", "Drive"]
CITIES = ["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Rennes", "Bordeaux", "Toulouse", "Nice"]


def iban(rng: random.Random, country: str) -> str:
    lengths = {"FR": 23, "DE": 18, "ES": 20, "IT": 23, "BE": 12}
    if country == "IT":
        bban = rng.choice(string.ascii_uppercase) + "".join(rng.choice(string.digits) for _ in range(22))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(lengths[country]))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4)) if rng.random() < 0.5 else raw


def nir(rng: random.Random) -> str:
    dept = rng.choice(["75", "69", "13", "2A", "2B", "59", "33", "97"])
    sex, year, month = rng.choice("12"), rng.randint(40, 99), rng.randint(1, 12)
    body = f"{sex}{year:02d}{month:02d}{dept}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    key = 97 - int(body.replace("2A", "19").replace("2B", "18")) % 97
    value = f"{body}{key:02d}"
    return (
        f"{value[0]} {value[1:3]} {value[3:5]} {value[5:7]} {value[7:10]} {value[10:13]} {value[13:]}"
        if rng.random() < 0.3
        else value
    )


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for index, ch in enumerate(reversed(digits)):
        d = int(ch)
        if index % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return digits + str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("34", 15), ("37", 15), ("6011", 16)])
    value = luhn_complete(prefix, length, rng)
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.4 else value


def not_luhn(rng: random.Random) -> str:
    while True:
        value = rng.choice("3456") + "".join(rng.choice(string.digits) for _ in range(15))
        total = sum(
            (int(c) * 2 - 9 if int(c) * 2 > 9 else int(c) * 2) if i % 2 else int(c)
            for i, c in enumerate(reversed(value))
        )
        if total % 10:
            return value


def phone(rng: random.Random) -> str:
    digits = f"0{rng.choice('1234567')}{rng.randint(0, 99_999_999):08d}"
    style = rng.random()
    if style < 0.3:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.5:
        return "+33 " + digits[1] + " " + " ".join(digits[i : i + 2] for i in range(2, 10, 2))
    if style < 0.6:
        return f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    if style < 0.7:
        return ".".join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits


def email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{last}{rng.randint(1, 99)}"])
    ascii_local = local.lower().replace(" ", "").encode("ascii", "ignore").decode()
    return f"{ascii_local}@{rng.choice(['gmail.com', 'orange.fr', 'banque-exemple.fr', 'free.fr', 'outlook.com'])}"


def person(rng: random.Random, style: str) -> str:
    if style == "first":
        return rng.choice(FIRST)
    if style == "last":
        return rng.choice(LAST).upper() if rng.random() < 0.3 else rng.choice(LAST)
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def address(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return (
            f"{rng.randint(1, 180)}{rng.choice(['', '', ' bis'])} {rng.choice(STREETS_FR)} {rng.choice(STREET_NAMES)}"
        )
    return f"{rng.randint(1, 300)} {rng.choice(['Baker', 'High', 'Church', 'Park', 'Mill'])} {rng.choice(STREETS_EN)}"


def birth(rng: random.Random) -> str:
    day = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 65))
    return day.isoformat() if rng.random() < 0.6 else day.strftime("%d/%m/%Y")


def recent(rng: random.Random) -> str:
    return (date(2023, 1, 1) + timedelta(days=rng.randint(0, 900))).isoformat()


POSITIVES: dict[str, tuple[list[str], Callable[[random.Random], str]]] = {
    "email": (["email", "e_mail", "courriel", "adresse_mail", "contact_email", "EmailAddress", "mail_client"], email),
    "phone": (["phone", "telephone", "tel_mobile", "num_portable", "PhoneNumber", "contact_phone", "gsm"], phone),
    "iban": (
        ["iban", "iban_client", "rib", "bank_account_iban", "compte_bancaire", "IBAN_beneficiaire"],
        lambda r: iban(r, r.choice(["FR", "DE", "ES", "IT", "BE"])),
    ),
    "nir": (["nir", "numero_securite_sociale", "nss", "insee_number", "social_security_number", "num_secu"], nir),
    "card_number": (["card_number", "numero_carte", "pan", "credit_card", "card_no", "cb_numero"], card),
    "person_name": (
        [
            "first_name",
            "prenom",
            "last_name",
            "nom",
            "full_name",
            "nom_naissance",
            "customer_name",
            "holder_name",
            "surname",
        ],
        None,
    ),  # type: ignore[dict-item]
    "postal_address": (["address", "adresse", "street_address", "adresse_postale", "addr_line1", "rue"], address),
    "birth_date": (["birth_date", "date_naissance", "dob", "date_of_birth", "birthdate", "ddn"], birth),
}

NEGATIVES: list[tuple[str, Callable[[random.Random], str]]] = [
    ("amount", lambda r: f"{r.uniform(1, 5000):.2f}"),
    ("montant_eur", lambda r: f"{r.uniform(1, 5000):.2f}".replace(".", ",")),
    ("created_at", recent),
    ("date_operation", recent),
    ("transaction_ref", not_luhn),
    ("reference_virement", not_luhn),
    ("contract_number", lambda r: f"{r.randint(10**14, 10**15 - 1)}"),
    ("product_name", lambda r: r.choice(["Livret A", "PEL", "Compte courant", "Carte Gold", "Assurance vie"])),
    ("company_name", lambda r: r.choice(["Acme SA", "Boulangerie Dupuis SARL", "Transports Martin", "Globex"])),
    ("merchant_name", lambda r: r.choice(["AMAZON EU", "CARREFOUR", "SNCF", "TOTAL ENERGIES", "FNAC"])),
    ("bic", lambda r: r.choice(["BNPAFRPPXXX", "SOGEFRPP", "CRLYFRPP", "AGRIFRPP882", "DEUTDEFF"])),
    ("segment", lambda r: r.choice(["retail", "sme", "corporate", "private"])),
    ("city", lambda r: r.choice(CITIES)),
    ("country", lambda r: r.choice(["FR", "DE", "ES", "IT"])),
    ("status", lambda r: r.choice(["active", "closed", "pending"])),
    ("score", lambda r: f"{r.random():.4f}"),
    ("customer_key", lambda r: "".join(r.choice("0123456789abcdef") for _ in range(64))),
    ("id", lambda r: str(r.randint(1, 10**6))),
    ("code_postal_agence", lambda r: f"{r.randint(1000, 95999):05d}"),
    ("comment", lambda r: r.choice(["ok", "client rappelé", "dossier complet", "à relancer", "RAS"])),
    ("channel", lambda r: r.choice(["web", "agence", "mobile", "téléphone"])),
    ("file_name", lambda r: f"export_{r.randint(1, 99)}.csv"),
    ("user_agent", lambda r: r.choice(["Mozilla/5.0", "curl/8.0", "okhttp/4.9"])),
    ("nb_products", lambda r: str(r.randint(0, 9))),
    ("is_active", lambda r: r.choice(["true", "false"])),
    ("maturity_date", lambda r: (date(2026, 1, 1) + timedelta(days=r.randint(0, 7000))).isoformat()),
    ("mcc", lambda r: str(r.choice([5411, 5812, 4111, 5541]))),
    ("currency", lambda r: r.choice(["EUR", "USD", "GBP"])),
    ("rate", lambda r: f"{r.uniform(0.5, 6):.3f}"),
    ("domain", lambda r: r.choice(["gmail.com", "orange.fr", "free.fr"])),
]


def labelled_set(seed: int = 2024) -> list[Labelled]:
    rng = random.Random(seed)
    items: list[Labelled] = []
    for kind, (names, make) in POSITIVES.items():
        for name in names:
            for variant in (name, f"cust_{name}", f"{name}_2"):
                if kind == "person_name":
                    style = (
                        "first"
                        if ("first" in name or "prenom" in name)
                        else "last"
                        if name in ("nom", "last_name", "surname", "nom_naissance")
                        else "full"
                    )
                    values = tuple(person(rng, style) for _ in range(SAMPLE))
                else:
                    values = tuple(make(rng) for _ in range(SAMPLE))
                items.append(Labelled(variant, values, kind))
        # Opaque names: only the values can tell.
        for index in range(3):
            if kind == "person_name":
                values = tuple(person(rng, "full") for _ in range(SAMPLE))
            else:
                values = tuple(make(rng) for _ in range(SAMPLE))
            # A date alone is not a birth date: an opaque date column is labelled not personal.
            items.append(Labelled(f"col_{kind[:3]}_{index}", values, None if kind == "birth_date" else kind))
    for name, make in NEGATIVES:
        for variant in (name, f"{name}_v2", f"x_{name}"):
            items.append(Labelled(variant, tuple(make(rng) for _ in range(SAMPLE)), None))
    return items
