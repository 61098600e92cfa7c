"""Glossary terms and tags through the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalog.models import GlossaryTerm, Tag
from tests.factories import DatasetFactory, GlossaryTermFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client_for, project_lead) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(project_lead)


@pytest.fixture
def writer(client_for, officer) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(officer)


# --- Glossary ----------------------------------------------------------------------------------


@pytest.fixture
def hierarchy() -> dict[str, GlossaryTerm]:
    payment = GlossaryTermFactory(slug="payment", label_en="Payment", label_fr="Paiement")
    card = GlossaryTermFactory(
        slug="card-payment", label_en="Card payment", label_fr="Paiement par carte", broader=payment
    )
    transfer = GlossaryTermFactory(slug="transfer", label_en="Transfer", label_fr="Virement", broader=payment)
    contactless = GlossaryTermFactory(
        slug="contactless", label_en="Contactless payment", label_fr="Paiement sans contact", broader=card
    )
    customer = GlossaryTermFactory(slug="customer", label_en="Customer", label_fr="Client")
    return {t.slug: t for t in [payment, card, transfer, contactless, customer]}


def test_term_fields(reader: APIClient, hierarchy: dict[str, GlossaryTerm]) -> None:
    DatasetFactory(glossary_terms=[hierarchy["payment"]])
    DatasetFactory(glossary_terms=[hierarchy["payment"], hierarchy["customer"]])
    body = reader.get("/api/glossary/payment/").json()
    assert body["url"] == "http://testserver/api/glossary/payment/"
    assert (body["label_en"], body["label_fr"], body["broader"]) == ("Payment", "Paiement", None)
    assert sorted(body["narrower"]) == ["card-payment", "transfer"]
    assert body["dataset_count"] == 2
    assert reader.get("/api/glossary/contactless/").json()["broader"] == "card-payment"


def test_glossary_is_listed_by_english_label(reader: APIClient, hierarchy: dict[str, GlossaryTerm]) -> None:
    slugs = [t["slug"] for t in reader.get("/api/glossary/").json()["results"]]
    assert slugs == ["card-payment", "contactless", "customer", "payment", "transfer"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"broader": "payment"}, ["card-payment", "transfer"]),
        ({"broader": "card-payment"}, ["contactless"]),
        ({"broader": "customer"}, []),
        ({"q": "paiement"}, ["payment", "card-payment", "contactless"]),  # French label
        ({"q": "CUSTOMER"}, ["customer"]),
        ({"q": "virement"}, ["transfer"]),
    ],
)
def test_glossary_filters(
    reader: APIClient, hierarchy: dict[str, GlossaryTerm], params: dict[str, str], expected: list[str]
) -> None:
    response = reader.get("/api/glossary/", params)
    assert response.status_code == 200
    assert sorted(t["slug"] for t in response.json()["results"]) == sorted(expected)


def test_create_a_term(writer: APIClient, hierarchy: dict[str, GlossaryTerm]) -> None:
    response = writer.post(
        "/api/glossary/",
        {
            "label_en": "Direct debit",
            "label_fr": "Prélèvement",
            "synonyms_en": ["debit order", " Debit Order ", ""],
            "synonyms_fr": ["prélèvement SEPA"],
            "definition": "A payment pulled by the payee.",
            "broader": "payment",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "direct-debit"
    assert body["synonyms_en"] == ["debit order"]  # cleaned by the service: trimmed, deduplicated
    term = GlossaryTerm.objects.get(slug="direct-debit")
    assert term.broader == hierarchy["payment"] and term.label_fr == "Prélèvement"
    assert "direct-debit" in writer.get("/api/glossary/payment/").json()["narrower"]


def test_create_with_a_chosen_slug(writer: APIClient) -> None:
    response = writer.post(
        "/api/glossary/",
        {"label_en": "Know your customer", "label_fr": "Connaissance client", "slug": "kyc"},
        format="json",
    )
    assert response.status_code == 201
    assert GlossaryTerm.objects.filter(slug="kyc").exists()


def test_update_a_term(writer: APIClient, hierarchy: dict[str, GlossaryTerm]) -> None:
    response = writer.patch(
        "/api/glossary/transfer/", {"broader": None, "synonyms_fr": ["virement SEPA"]}, format="json"
    )
    assert response.status_code == 200, response.content
    term = GlossaryTerm.objects.get(slug="transfer")
    assert term.broader is None and term.synonyms_fr == ["virement SEPA"]


@pytest.mark.parametrize(
    "slug, broader",
    [
        ("payment", "contactless"),  # payment > card > contactless > payment
        ("payment", "card-payment"),
        ("customer", "customer"),  # itself
    ],
)
def test_a_broader_cycle_is_a_400(
    writer: APIClient, hierarchy: dict[str, GlossaryTerm], slug: str, broader: str
) -> None:
    response = writer.patch(f"/api/glossary/{slug}/", {"broader": broader}, format="json")
    assert response.status_code == 400
    assert response.json() == {"broader": ["A term cannot be broader than itself, directly or through others."]}
    assert GlossaryTerm.objects.get(slug=slug).broader_id == (hierarchy[slug].broader_id)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"label_en": "Payment", "label_fr": "Autre"}, "label_en"),  # duplicate, refused by the service
        ({"label_en": "Autre", "label_fr": "Paiement"}, "label_fr"),
        ({"label_en": "Autre", "label_fr": "Autre FR", "slug": "payment"}, "slug"),
        ({"label_en": "Autre", "label_fr": "Autre FR", "broader": "nope"}, "broader"),
        ({"label_en": "Autre", "label_fr": "Autre FR", "synonyms_en": "not a list"}, "synonyms_en"),
        ({"label_en": "Autre"}, "label_fr"),
    ],
)
def test_create_a_term_with_bad_input_is_a_400(
    writer: APIClient, hierarchy: dict[str, GlossaryTerm], payload: dict[str, object], field: str
) -> None:
    before = GlossaryTerm.objects.count()
    response = writer.post("/api/glossary/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert GlossaryTerm.objects.count() == before


# --- Tags --------------------------------------------------------------------------------------


def test_tags_list_with_dataset_counts(reader: APIClient) -> None:
    gdpr, pci = TagFactory(name="gdpr", slug="gdpr"), TagFactory(name="pci", slug="pci")
    TagFactory(name="archive", slug="archive")
    DatasetFactory(tags=[gdpr, pci])
    DatasetFactory(tags=[gdpr])
    body = reader.get("/api/tags/").json()
    assert [(t["slug"], t["dataset_count"]) for t in body["results"]] == [("archive", 0), ("gdpr", 2), ("pci", 1)]
    assert body["results"][1]["url"] == "http://testserver/api/tags/gdpr/"
    assert [t["slug"] for t in reader.get("/api/tags/", {"q": "PC"}).json()["results"]] == ["pci"]
    assert [t["slug"] for t in reader.get("/api/tags/", {"ordering": "-dataset_count"}).json()["results"]] == [
        "gdpr",
        "pci",
        "archive",
    ]


def test_create_and_update_a_tag(writer: APIClient) -> None:
    response = writer.post("/api/tags/", {"name": "Customer data", "description": "About customers"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "customer-data"
    tag = Tag.objects.get(slug="customer-data")
    assert tag.description == "About customers"
    response = writer.patch("/api/tags/customer-data/", {"name": "Customers", "slug": "ignored"}, format="json")
    assert response.status_code == 200
    tag.refresh_from_db()
    assert (tag.name, tag.slug) == ("Customers", "customer-data")


def test_duplicate_tag_name_is_a_400(writer: APIClient) -> None:
    TagFactory(name="gdpr", slug="gdpr")
    response = writer.post("/api/tags/", {"name": "gdpr"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["Tag with this Name already exists."]}
    assert Tag.objects.count() == 1


def test_blank_tag_name_is_a_400(writer: APIClient) -> None:
    response = writer.post("/api/tags/", {"name": ""}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert not Tag.objects.exists()
