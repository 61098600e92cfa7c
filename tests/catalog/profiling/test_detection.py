"""Personal-data detection rules: checksums, Corsica, names and values."""

from __future__ import annotations

import pytest

from catalog.profiling import detection as d


def nir_with_key(body: str) -> str:
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", True),
        ("FR7630006000011234567890189", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82 WEST 1234 5698 7654 32", True),
        ("FR76 3000 6000 0112 3456 7890 188", False),  # checksum
        ("FR76 3000 6000 0112 3456 7890 18", False),  # length for FR
        ("XX00 1234", False),
    ],
)
def test_iban_checksum(value: str, valid: bool) -> None:
    assert d.iban_valid(value) is valid


@pytest.mark.parametrize("body", ["1850775123456", "2690299111111", "180012A123456", "299112B001012"])
def test_nir_key_including_corsica(body: str) -> None:
    good = nir_with_key(body)
    assert d.nir_valid(good)
    assert d.nir_valid(good[:5] + " " + good[5:])
    bad = good[:-2] + f"{(int(good[-2:]) + 1) % 97:02d}"
    assert not d.nir_valid(bad)


def test_corsica_key_differs_from_plain_digits() -> None:
    # 2A counts as 19 for the key: the key computed with "20" instead must be refused.
    body = "180012A123456"
    wrong = f"{body}{97 - int(body.replace('2A', '20')) % 97:02d}"
    assert not d.nir_valid(wrong)
    assert d.nir_valid(nir_with_key(body))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("4111 1111 1111 1111", True),
        ("5500-0000-0000-0004", True),
        ("378282246310005", True),
        ("4111 1111 1111 1112", False),
        ("1234567812345670", False),  # Luhn-valid but not a card prefix
        ("41111111", False),
    ],
)
def test_card_numbers_with_luhn(value: str, valid: bool) -> None:
    assert d.luhn_valid(value) is valid


def test_phones_emails_addresses_names() -> None:
    assert d.is_phone("06 12 34 56 78") and d.is_phone("+33 6 12 34 56 78") and d.is_phone("+44 20 7946 0958")
    assert not d.is_phone("12345")
    assert d.is_email("jean.dupont@banque.fr") and not d.is_email("jean.dupont@")
    assert d.is_address("12 rue de la Paix") and d.is_address("3 bis avenue Foch")
    assert d.is_address("10 Downing Street") and d.is_address("221B Baker Street")
    assert not d.is_address("Paris") and not d.is_address("12 months")
    assert d.is_person_name("Marie Curie") and d.is_person_name("DUPONT") and not d.is_person_name("Livret A")


def test_column_detection_uses_names_and_values() -> None:
    ibans = ["FR76 3000 6000 0112 3456 7890 189", "DE89 3704 0044 0532 0130 00"] * 10
    found = d.detect_column("col_7", ibans)
    assert found is not None and found.kind == d.IBAN and found.suggested_class == "direct"
    assert found.evidence["name_hint"] is None and found.evidence["values_matching"] == 1.0
    assert "FR76" not in str(found.evidence)  # evidence never holds values

    birth = d.detect_column("date_naissance", ["1984-03-02", "1990-12-31"])
    assert birth is not None and birth.kind == d.BIRTH_DATE and birth.suggested_class == "indirect"
    assert d.detect_column("created_at", ["2024-01-02", "2024-02-03"]) is None  # a date is not a birth date

    assert d.detect_column("product_name", ["Livret A", "PEL"]) is None
    assert d.detect_column("prenom", ["Marie", "Jean", "Sophie"]).kind == d.PERSON_NAME  # type: ignore[union-attr]
    assert d.detect_column("email", []).confidence == d.NAME_ONLY_CONFIDENCE  # type: ignore[union-attr]
    # 16-digit transaction ids that fail Luhn are not cards.
    assert (
        d.detect_column(
            "transaction_id",
            [f"{4000000000000000 + i * 7}" for i in range(50) if not d.luhn_valid(f"{4000000000000000 + i * 7}")],
        )
        is None
    )
