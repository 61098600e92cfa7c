"""A small catalog shared by the page tests and the browser tests.

Versions are registered through the real service (``dataset_version_register_from_file``), so
their schema, fingerprint and diff are what a delivery produces.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.test import Client

from catalog import services
from catalog.models import (
    ColumnType,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Domain,
    GlossaryTerm,
    PersonalDataClass,
    Tag,
    VersionOperation,
)
from tests.factories import ColumnFactory, DatasetFactory, GlossaryTermFactory, TagFactory

CSV_V1 = b"customer_id,amount,paid_at\n1,12.50,2024-01-02\n2,8.00,2024-01-03\n3,99.90,2024-01-03\n"
# v2: a "channel" column appears and "customer_id" becomes text.
CSV_V2 = b"customer_id,amount,paid_at,channel\nC1,12.50,2024-01-02,web\nC2,8.00,2024-01-03,shop\n"
CSV_RAGGED = b"customer_id,amount\n1,12.5\n2,8.0,unexpected\n"

# The ``client_as`` fixture: a test client logged in as a user.
ClientAs = Callable[[User], Client]


@dataclass
class Catalog:
    payment: GlossaryTerm
    customer_payment: GlossaryTerm
    payments_tag: Tag
    card_payments: Dataset
    health_claims: Dataset
    branch_hours: Dataset
    fraud_convictions: Dataset


def register_version(
    dataset: Dataset,
    content: bytes,
    *,
    filename: str = "batch.csv",
    delivered_by: User | None = None,
    operation: str = VersionOperation.APPEND,
) -> DatasetVersion:
    return services.dataset_version_register_from_file(
        dataset=dataset,
        file=io.BytesIO(content),
        filename=filename,
        size=len(content),
        operation=operation,
        delivered_by=delivered_by,
    )


def build_catalog(*, custodian: User, other_owner: User) -> Catalog:
    """Four datasets of increasing sensitivity; "Card payments" belongs to ``custodian`` and has two versions."""
    payment = GlossaryTermFactory(
        slug="payment", label_en="Payment", label_fr="Paiement", definition="Any transfer of funds."
    )
    customer_payment = GlossaryTermFactory(
        slug="customer-payment",
        label_en="Customer payment",
        label_fr="Paiement client",
        synonyms_en=["Client payment"],
        synonyms_fr=["Règlement client"],
        definition="A payment made by a customer to the bank or through it.",
        broader=payment,
    )
    payments_tag = TagFactory(name="payments", slug="payments")

    card_payments = DatasetFactory(
        name="Card payments",
        slug="card-payments",
        domain=Domain.PAYMENTS,
        description="Card transactions, **one row per payment**, delivered by daily batch.",
        owner=custodian,
        custodian=custodian,
        source_system="Card switch",
        tags=[payments_tag],
        glossary_terms=[customer_payment],
        data_subject_categories=["customers"],
        personal_data_categories=["financial", "transactions"],
        collection_purpose="Executing card payments",
        collection_legal_basis="contract",
        storage_location="Paris data centre",
        transfers_outside_eu=True,
        transfer_safeguards="Standard contractual clauses",
        security_measures="Encryption at rest",
    )
    customer_id = ColumnFactory(
        dataset=card_payments,
        name="customer_id",
        position=0,
        data_type=ColumnType.INTEGER,
        personal_data_class=PersonalDataClass.INDIRECT,
        pseudonymised=True,
        description="Pseudonymised customer key",
    )
    customer_id.glossary_terms.set([customer_payment])
    ColumnFactory(dataset=card_payments, name="amount", position=1, data_type=ColumnType.FLOAT)
    ColumnFactory(dataset=card_payments, name="paid_at", position=2, data_type=ColumnType.DATE)
    register_version(card_payments, CSV_V1, filename="payments-2024-01-03.csv", delivered_by=custodian)
    register_version(card_payments, CSV_V2, filename="payments-2024-01-04.csv", delivered_by=custodian)

    health_claims = DatasetFactory(
        name="Health claims", slug="health-claims", domain=Domain.CUSTOMER, owner=other_owner
    )
    ColumnFactory(dataset=health_claims, name="insured_name", personal_data_class=PersonalDataClass.DIRECT)
    ColumnFactory(dataset=health_claims, name="diagnosis", personal_data_class=PersonalDataClass.SPECIAL)

    branch_hours = DatasetFactory(
        name="Branch opening hours",
        slug="branch-opening-hours",
        domain=Domain.OPERATIONS,
        owner=other_owner,
        status=DatasetStatus.DRAFT,
    )
    ColumnFactory(dataset=branch_hours, name="branch_code")

    fraud_convictions = DatasetFactory(
        name="Fraud convictions", slug="fraud-convictions", domain=Domain.RISK, owner=other_owner
    )
    ColumnFactory(dataset=fraud_convictions, name="offence", personal_data_class=PersonalDataClass.CRIMINAL)

    return Catalog(
        payment=payment,
        customer_payment=customer_payment,
        payments_tag=payments_tag,
        card_payments=card_payments,
        health_claims=health_claims,
        branch_hours=branch_hours,
        fraud_convictions=fraud_convictions,
    )
