"""Personal-data detection: a suggested class per column from its name and its values.

Each detector looks at the column name (French and English words) and checks the values with a
validator: a regular expression and, where the data has one, its checksum (IBAN mod 97, the
French NIR key with Corsica's 2A/2B, card numbers with Luhn). The result is a *suggestion* with
its evidence (which name hint matched, the share of values that passed the validator, never the
values themselves) and a confidence, for a custodian or governance officer to confirm; nothing is
applied to a column by this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

# Kinds of personal data and the class each suggests (catalog.models.PersonalDataClass values).
EMAIL, PHONE, IBAN, NIR, CARD, PERSON_NAME, ADDRESS, BIRTH_DATE = (
    "email",
    "phone",
    "iban",
    "nir",
    "card_number",
    "person_name",
    "postal_address",
    "birth_date",
)
KIND_CLASS = {
    EMAIL: "direct",
    PHONE: "direct",
    IBAN: "direct",
    NIR: "direct",
    CARD: "direct",
    PERSON_NAME: "direct",
    ADDRESS: "direct",
    BIRTH_DATE: "indirect",
}
KIND_LABELS = {
    EMAIL: "Email address",
    PHONE: "Phone number",
    IBAN: "IBAN (bank account)",
    NIR: "French social security number (NIR)",
    CARD: "Payment card number",
    PERSON_NAME: "Person name",
    ADDRESS: "Postal address",
    BIRTH_DATE: "Date of birth",
}
VALUE_THRESHOLD = 0.8  # share of checked values that must pass a validator
NAME_ONLY_CONFIDENCE = 0.5
MAX_VALUES = 500


def _tokens(name: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = re.sub(r"([a-z])([A-Z])", r"\1_\2", folded).lower()
    return [t for t in re.split(r"[^a-z0-9]+", folded) if t]


# Name hints: sets of tokens; a hint matches when all its tokens are in the column name.
NAME_HINTS: dict[str, list[tuple[str, ...]]] = {
    EMAIL: [("email",), ("mail",), ("courriel",), ("e", "mail"), ("adresse", "mail")],
    PHONE: [("phone",), ("telephone",), ("tel",), ("mobile",), ("portable",), ("gsm",), ("msisdn",), ("fax",)],
    IBAN: [("iban",), ("rib",), ("bank", "account"), ("compte", "bancaire"), ("bic", "iban")],
    NIR: [("nir",), ("nss",), ("insee",), ("secu",), ("securite", "sociale"), ("social", "security"), ("ssn",)],
    CARD: [("card", "number"), ("pan",), ("numero", "carte"), ("cb",), ("credit", "card"), ("card", "no"), ("carte",)],
    PERSON_NAME: [
        ("first", "name"),
        ("firstname",),
        ("last", "name"),
        ("lastname",),
        ("surname",),
        ("full", "name"),
        ("fullname",),
        ("prenom",),
        ("nom",),
        ("maiden", "name"),
        ("nom", "naissance"),
        ("given", "name"),
        ("family", "name"),
        ("customer", "name"),
        ("client", "name"),
        ("holder", "name"),
        ("titulaire",),
        ("contact", "name"),
        ("employee", "name"),
    ],
    ADDRESS: [
        ("address",),
        ("adresse",),
        ("street",),
        ("rue",),
        ("addr",),
        ("voie",),
        ("address", "line"),
    ],
    BIRTH_DATE: [
        ("birth",),
        ("birthdate",),
        ("dob",),
        ("naissance",),
        ("ddn",),
        ("date", "naiss"),
        ("born",),
    ],
}
# Tokens that make a name hint about something else (a product name, a file name...).
NOT_PERSON = {
    "product",
    "produit",
    "file",
    "fichier",
    "dataset",
    "table",
    "company",
    "societe",
    "entreprise",
    "raison",
    "sociale",
    "branch",
    "agence",
    "merchant",
    "commercant",
    "campaign",
    "campagne",
    "city",
    "ville",
    "country",
    "pays",
    "bank",
    "banque",
    "model",
    "modele",
    "host",
    "domain",
    "user",
    "login",
}


def name_hint(kind: str, name: str) -> str | None:
    """The hint of ``kind`` the column name matches (``"first+name"``), or None."""
    tokens = set(_tokens(name))
    if kind == PERSON_NAME and tokens & NOT_PERSON:
        return None
    if kind == EMAIL and {"domain", "domaine", "opt", "optin", "consent", "sent", "campaign"} & tokens:
        return None
    for hint in NAME_HINTS[kind]:
        if set(hint) <= tokens:
            return "+".join(hint)
    return None


# --- Validators -------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE_FR = re.compile(r"^(?:\+33|0033|0)[1-9]\d{8}$")
_PHONE_INTL = re.compile(r"^(?:\+|00)[1-9]\d{7,14}$")
_SEPARATORS = re.compile(r"[\s.\-()/]")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
IBAN_LENGTHS = {
    "FR": 27,
    "DE": 22,
    "ES": 24,
    "IT": 27,
    "BE": 16,
    "NL": 18,
    "LU": 20,
    "PT": 25,
    "GB": 22,
    "CH": 21,
    "MC": 27,
    "AT": 20,
    "IE": 22,
    "PL": 28,
    "MA": 28,
}
_NIR = re.compile(r"^([1-478])(\d{2})(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2[AB])(\d{3})(\d{3})(\d{2})$")
_CARD = re.compile(r"^[3-6]\d{12,18}$")
_STREET = re.compile(
    r"^\s*\d{1,5}\s*(?:bis|ter|[a-c])?\s*,?\s+(?:rue|avenue|av\.?|boulevard|bd|chemin|allee|impasse|place|quai|"
    r"route|cours|square|passage|street|st\.?|road|rd\.?|lane|ln\.?|avenue|ave\.?|drive|dr\.?|way)\b",
    re.IGNORECASE,
)
_STREET_EN = re.compile(
    r"^\s*\d{1,5}[a-z]?\s+[a-z' .-]+\s(?:street|st|road|rd|lane|ln|avenue|ave|drive|dr|boulevard|blvd|way|court|ct|"
    r"place|pl|square|sq|terrace|close|crescent)\.?$",
    re.IGNORECASE,
)
_POSTCODE_CITY = re.compile(r"\b\d{5}\s+[A-Za-z][A-Za-z' -]+$")
_NAME_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*$")
_DATE_ISO = re.compile(r"^(\d{4})[-/](\d{2})[-/](\d{2})(?:[ T].*)?$")
_DATE_FR = re.compile(r"^(\d{2})[/.-](\d{2})[/.-](\d{4})$")

FIRST_NAMES = frozenset(
    [
        "marie",
        "jean",
        "pierre",
        "michel",
        "philippe",
        "alain",
        "nicolas",
        "christophe",
        "patrick",
        "daniel",
        "francois",
        "laurent",
        "frederic",
        "stephane",
        "david",
        "eric",
        "olivier",
        "sebastien",
        "thomas",
        "julien",
        "anne",
        "isabelle",
        "catherine",
        "nathalie",
        "sylvie",
        "sophie",
        "christine",
        "martine",
        "francoise",
        "monique",
        "valerie",
        "sandrine",
        "veronique",
        "camille",
        "lea",
        "manon",
        "chloe",
        "emma",
        "ines",
        "jade",
        "louise",
        "alice",
        "lucas",
        "hugo",
        "louis",
        "gabriel",
        "arthur",
        "jules",
        "adam",
        "paul",
        "antoine",
        "maxime",
        "alexandre",
        "romain",
        "vincent",
        "guillaume",
        "mathieu",
        "claire",
        "julie",
        "celine",
        "aurelie",
        "emilie",
        "elodie",
        "caroline",
        "helene",
        "laura",
        "sarah",
        "pauline",
        "james",
        "john",
        "robert",
        "michael",
        "william",
        "richard",
        "joseph",
        "charles",
        "christopher",
        "matthew",
        "anthony",
        "mark",
        "donald",
        "steven",
        "andrew",
        "kenneth",
        "joshua",
        "kevin",
        "brian",
        "george",
        "edward",
        "ronald",
        "timothy",
        "jason",
        "jeffrey",
        "ryan",
        "jacob",
        "gary",
        "mary",
        "patricia",
        "jennifer",
        "linda",
        "elizabeth",
        "barbara",
        "susan",
        "jessica",
        "karen",
        "nancy",
        "lisa",
        "betty",
        "margaret",
        "sandra",
        "ashley",
        "kimberly",
        "emily",
        "donna",
        "michelle",
        "dorothy",
        "carol",
        "amanda",
        "melissa",
        "deborah",
        "stephanie",
        "rebecca",
        "sharon",
        "mohamed",
        "ahmed",
        "karim",
        "sofiane",
        "yasmine",
        "fatima",
        "nadia",
        "leila",
        "samir",
        "rachid",
        "mehdi",
        "bruno",
        "diane",
        "paula",
        "helene",
        "olivier",
        "alice",
        "camille",
        "yves",
        "gerard",
        "bernard",
        "rene",
        "andre",
        "jacques",
        "henri",
        "marcel",
        "roger",
        "claude",
    ]
)
LAST_NAMES = frozenset(
    [
        "martin",
        "bernard",
        "thomas",
        "petit",
        "robert",
        "richard",
        "durand",
        "dubois",
        "moreau",
        "laurent",
        "simon",
        "michel",
        "lefebvre",
        "leroy",
        "roux",
        "david",
        "bertrand",
        "morel",
        "fournier",
        "girard",
        "bonnet",
        "dupont",
        "lambert",
        "fontaine",
        "rousseau",
        "vincent",
        "muller",
        "lefevre",
        "faure",
        "andre",
        "mercier",
        "blanc",
        "guerin",
        "boyer",
        "garnier",
        "chevalier",
        "francois",
        "legrand",
        "gauthier",
        "garcia",
        "perrin",
        "robin",
        "clement",
        "morin",
        "nicolas",
        "henry",
        "roussel",
        "mathieu",
        "gautier",
        "masson",
        "marchand",
        "duval",
        "denis",
        "dumont",
        "marie",
        "lemaire",
        "noel",
        "meyer",
        "dufour",
        "meunier",
        "brun",
        "blanchard",
        "giraud",
        "joly",
        "riviere",
        "lucas",
        "brunet",
        "gaillard",
        "smith",
        "johnson",
        "williams",
        "brown",
        "jones",
        "miller",
        "davis",
        "wilson",
        "anderson",
        "taylor",
        "moore",
        "jackson",
        "white",
        "harris",
        "thompson",
        "martinez",
        "robinson",
        "clark",
        "rodriguez",
        "lewis",
        "lee",
        "walker",
        "hall",
        "allen",
        "young",
        "king",
        "wright",
        "scott",
    ]
)


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value.strip()))


def is_phone(value: str) -> bool:
    compact = _SEPARATORS.sub("", value.strip())
    return bool(_PHONE_FR.match(compact) or _PHONE_INTL.match(compact))


def iban_valid(value: str) -> bool:
    """ISO 13616: country code, two check digits, then the account; mod 97 of the rearranged
    number (letters as 10-35) must be 1; the length is checked for the countries we know."""
    compact = re.sub(r"\s", "", value).upper()
    if not _IBAN.match(compact):
        return False
    if compact[:2] in IBAN_LENGTHS and len(compact) != IBAN_LENGTHS[compact[:2]]:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def nir_valid(value: str) -> bool:
    """French NIR (numéro de sécurité sociale): 13 characters and a 2-digit key equal to
    97 - (number mod 97). Corsica's departments 2A and 2B count as 19 and 18 for the key."""
    compact = re.sub(r"[\s.]", "", value).upper()
    match = _NIR.match(compact)
    if not match:
        return False
    body, key = compact[:13], int(compact[13:])
    body = body.replace("2A", "19", 1) if match.group(4) == "2A" else body
    body = body.replace("2B", "18", 1) if match.group(4) == "2B" else body
    return 97 - int(body) % 97 == key


def luhn_valid(value: str) -> bool:
    """Payment card number: 13-19 digits starting with 3-6 and a valid Luhn checksum."""
    compact = re.sub(r"[\s-]", "", value)
    if not _CARD.match(compact):
        return False
    total = 0
    for index, ch in enumerate(reversed(compact)):
        digit = int(ch)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_person_name(value: str) -> bool:
    """One to four capitalised words with at least one known first or last name."""
    words = value.replace(",", " ").split()
    if not 1 <= len(words) <= 4:
        return False
    normal = [w if not w.isupper() else w.capitalize() for w in words]
    if not all(_NAME_WORD.match(w) for w in normal):
        return False
    folded = {_fold(w) for w in normal}
    return bool(folded & FIRST_NAMES or folded & LAST_NAMES)


def is_address(value: str) -> bool:
    folded = _fold(value)
    return bool(
        _STREET.match(folded)
        or _STREET_EN.match(folded)
        or (_POSTCODE_CITY.search(value.strip()) and any(c.isdigit() for c in value[:6]))
    )


def _as_date(value: str) -> date | None:
    value = value.strip()
    try:
        if match := _DATE_ISO.match(value):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _DATE_FR.match(value):
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    return None


def is_birth_date(value: str, *, today: date | None = None) -> bool:
    """A date giving an age between 0 and 120 years."""
    parsed = _as_date(value)
    if parsed is None:
        return False
    today = today or date.today()
    age = (today - parsed).days / 365.25
    return 0 <= age <= 120


VALIDATORS: dict[str, Callable[[str], bool]] = {
    EMAIL: is_email,
    PHONE: is_phone,
    IBAN: iban_valid,
    NIR: nir_valid,
    CARD: luhn_valid,
    PERSON_NAME: is_person_name,
    ADDRESS: is_address,
    BIRTH_DATE: is_birth_date,
}
# Kinds whose values alone (without a name hint) are enough: their validator is specific.
VALUE_ALONE = {EMAIL: 0.9, IBAN: 0.95, NIR: 0.95, CARD: 0.9, PHONE: 0.75, PERSON_NAME: 0.7, ADDRESS: 0.75}
# Kinds checked in this order: the specific checksums first (a NIR is also a long number...).
ORDER = [IBAN, NIR, CARD, EMAIL, PHONE, BIRTH_DATE, ADDRESS, PERSON_NAME]


@dataclass
class Detection:
    kind: str
    suggested_class: str
    confidence: float
    evidence: dict[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _share(kind: str, values: Sequence[str]) -> float:
    if not values:
        return 0.0
    validator = VALIDATORS[kind]
    return sum(1 for v in values if validator(v)) / len(values)


def detect_column(name: str, values: Sequence[str]) -> Detection | None:
    """The most likely kind of personal data in a column, or None.

    A kind is suggested when its validator accepts at least ``VALUE_THRESHOLD`` of the non-empty
    values (for dates of birth: the name must say so too, a date alone is not a birth date), or
    when the name matches and there are no values to contradict it (an empty column).
    Evidence holds the hint and the share of values that passed, not the values.
    """
    checked = [v for v in (str(x).strip() for x in values[:MAX_VALUES]) if v]
    best: Detection | None = None
    for kind in ORDER:
        hint = name_hint(kind, name)
        if kind == BIRTH_DATE and not hint:
            continue
        share = _share(kind, checked) if checked else 0.0
        evidence: dict[str, object] = {"name_hint": hint, "values_checked": len(checked), "values_matching": share}
        confidence = 0.0
        if share >= VALUE_THRESHOLD:
            base = VALUE_ALONE.get(kind, 0.6)
            confidence = min(0.99, base + (0.09 if hint else 0.0) * share)
            if not hint and kind not in VALUE_ALONE:
                confidence = 0.0
        elif hint and not checked:
            confidence = NAME_ONLY_CONFIDENCE
        elif hint and kind in (PERSON_NAME, ADDRESS) and share >= 0.3:
            confidence = 0.6
        if confidence and (best is None or confidence > best.confidence):
            evidence["values_matching"] = round(share, 3)
            best = Detection(
                kind=kind, suggested_class=KIND_CLASS[kind], confidence=round(confidence, 3), evidence=evidence
            )
    return best


def detect_columns(samples: dict[str, Sequence[str]]) -> dict[str, Detection]:
    """Detections for the columns that look personal, by column name."""
    found: dict[str, Detection] = {}
    for name, values in samples.items():
        detection = detect_column(name, values)
        if detection is not None:
            found[name] = detection
    return found
