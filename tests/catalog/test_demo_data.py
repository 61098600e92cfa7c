"""The demo catalog (fixtures/, ``manage.py load_demo``): size, realism, GDPR content, idempotence.

The demo is loaded once for the module inside a transaction rolled back at the end, so the other
test modules never see it; each test runs in its own savepoint on top of it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings
from django.utils import timezone

from catalog.models import (
    Column,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Domain,
    GlossaryTerm,
    PersonalDataCategory,
    PersonalDataClass,
    Tag,
)
from catalog.roles import Role, has_role
from fixtures.demo_catalog import check_fixtures
from fixtures.users import DEMO_PASSWORD
from projects.models import (
    AIActTier,
    Membership,
    Project,
    ProjectRole,
    SignOff,
    Stage,
    StageTransition,
)

DEMO_USERS_BY_ROLE = {
    Role.DATA_SCIENTIST: "alice",
    Role.GOVERNANCE_OFFICER: "olivier",
    Role.PROJECT_LEAD: "paula",
    Role.DATA_CUSTODIAN: "camille",
    Role.ADMIN: "admin",
}


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    media = tmp_path_factory.mktemp("demo-media")
    fast_hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast_hashers),
        transaction.atomic(),
    ):
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output: str, db, settings) -> str:  # type: ignore[no-untyped-def]
    return demo_output


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "tags": Tag.objects.count(),
        "terms": GlossaryTerm.objects.count(),
        "datasets": Dataset.objects.count(),
        "columns": Column.objects.count(),
        "versions": DatasetVersion.objects.count(),
        "dataset_terms": Dataset.glossary_terms.through.objects.count(),
        "column_terms": Column.glossary_terms.through.objects.count(),
        "projects": Project.objects.count(),
        "transitions": StageTransition.objects.count(),
        "sign_offs": SignOff.objects.count(),
        "memberships": Membership.objects.count(),
    }


def test_fixtures_are_consistent() -> None:
    assert check_fixtures() == []


def test_datasets_cover_the_domains_with_realistic_metadata(demo: str) -> None:
    assert Dataset.objects.count() >= 60
    domains = set(Dataset.objects.values_list("domain", flat=True))
    assert {Domain.CUSTOMER, Domain.PAYMENTS, Domain.CREDIT, Domain.RISK, Domain.MARKETING, Domain.HR} <= domains
    expected = [
        "Customer master (CRM)",
        "Card payment transactions",
        "SEPA direct debit mandates",
        "Loan applications",
        "Credit bureau scores",
        "HR absences",
        "Payroll",
        "Marketing campaign responses",
    ]
    assert set(expected) <= set(Dataset.objects.values_list("name", flat=True))
    statuses = dict(Dataset.objects.values_list("status").annotate(n=Count("id")))
    assert statuses[DatasetStatus.PUBLISHED] > statuses[DatasetStatus.DRAFT] >= 3
    assert statuses[DatasetStatus.DEPRECATED] >= 2
    locations = list(Dataset.objects.values_list("location", flat=True))
    assert all(locations)
    assert {loc.split(":", 1)[0] for loc in locations if ":" in loc} >= {"s3", "postgresql"}
    assert any(loc.startswith("/") for loc in locations)
    assert len(set(Dataset.objects.values_list("format", flat=True))) >= 4
    assert len(set(Dataset.objects.values_list("refresh_frequency", flat=True))) >= 4
    assert not Dataset.objects.filter(Q(description="") | Q(source_system="")).exists()
    assert Dataset.objects.filter(description__contains="**").exists()  # Markdown
    assert Dataset.objects.filter(tags__isnull=True).count() < 10
    assert not Dataset.objects.filter(glossary_terms__isnull=True).exclude(name="Market risk VaR by desk").exists()
    people = set(Dataset.objects.values_list("owner__username", "steward__username", "custodian__username"))
    assert {"camille", "bruno", "helene", "olivier", "diane"} <= {u for row in people for u in row if u}


def test_columns_and_personal_data_classes(demo: str) -> None:
    assert Column.objects.count() >= 600
    assert set(Column.objects.values_list("personal_data_class", flat=True)) == set(PersonalDataClass.values)
    assert Column.objects.exclude(description="").count() >= 0.9 * Column.objects.count()
    assert Column.objects.filter(glossary_terms__isnull=False).distinct().count() >= 100
    # Classes follow the data lab's rules.
    assert set(Column.objects.filter(name="nir").values_list("personal_data_class", flat=True)) == {"direct"}
    for name in ["email", "last_name", "first_name", "iban", "card_pan", "address_line", "phone_mobile"]:
        assert set(Column.objects.filter(name=name).values_list("personal_data_class", flat=True)) == {"direct"}, name
    people = Column.objects.exclude(dataset__name="Branch directory")  # a branch's postcode is about no one
    for name in ["customer_id", "employee_id", "birth_date", "postcode", "gender"]:
        assert set(people.filter(name=name).values_list("personal_data_class", flat=True)) == {"indirect"}, name
    absences = Dataset.objects.get(name="HR absences")
    assert absences.columns.get(name="sick_leave_reason").personal_data_class == PersonalDataClass.SPECIAL
    assert absences.sensitivity == PersonalDataClass.SPECIAL
    union = Column.objects.get(dataset__name="Staff representatives and union mandates", name="union_name")
    assert union.personal_data_class == PersonalDataClass.SPECIAL
    conviction = Column.objects.get(dataset__name="Fraud investigation cases", name="fraud_conviction")
    assert conviction.personal_data_class == PersonalDataClass.CRIMINAL
    amounts = Column.objects.filter(name__in=["amount_eur", "due_date", "product_code"])
    assert set(amounts.values_list("personal_data_class", flat=True)) == {"none"}
    assert Dataset.objects.with_sensitivity().filter(sensitivity_rank=0).count() >= 5


def test_pseudonymised_datasets_hold_no_direct_identifiers(demo: str) -> None:
    pseudo = Dataset.objects.filter(name__endswith="(pseudonymised)")
    names = set(pseudo.values_list("name", flat=True))
    assert {"Customer master (pseudonymised)", "Card transactions (pseudonymised)", "Payroll (pseudonymised)"} <= names
    for dataset in pseudo:
        assert dataset.columns.filter(pseudonymised=True).exists(), dataset.name
        assert dataset.sensitivity == PersonalDataClass.INDIRECT, dataset.name
        original = dataset.name.replace(" (pseudonymised)", "")
        assert Dataset.objects.filter(name__startswith=original).exclude(pk=dataset.pk).exists(), dataset.name
    hashed = Column.objects.get(dataset__name="Card transactions (pseudonymised)", name="card_pan_hash")
    assert (hashed.personal_data_class, hashed.pseudonymised) == (PersonalDataClass.INDIRECT, True)


def test_gdpr_profiles_are_declared(demo: str) -> None:
    personal = Dataset.objects.with_sensitivity().filter(sensitivity_rank__gt=0)
    for dataset in personal:
        assert dataset.data_subject_categories, dataset.name
        assert dataset.personal_data_categories, dataset.name
        assert dataset.collection_purpose and dataset.collection_legal_basis, dataset.name
        assert dataset.retention_days and dataset.storage_location and dataset.security_measures, dataset.name
    special = personal.filter(sensitivity_rank=PersonalDataClass.rank(PersonalDataClass.SPECIAL))
    art9 = {PersonalDataCategory.HEALTH, PersonalDataCategory.UNION_MEMBERSHIP, PersonalDataCategory.BIOMETRIC}
    for dataset in special:
        assert art9 & set(dataset.personal_data_categories), dataset.name
    for dataset in personal.filter(sensitivity_rank=PersonalDataClass.rank(PersonalDataClass.CRIMINAL)):
        assert PersonalDataCategory.CRIMINAL in dataset.personal_data_categories, dataset.name
    transfers = Dataset.objects.filter(transfers_outside_eu=True)
    assert transfers.count() >= 2
    assert not transfers.filter(transfer_safeguards="").exists()


def test_glossary_is_bilingual_with_a_hierarchy(demo: str) -> None:
    terms = list(GlossaryTerm.objects.all())
    assert len(terms) >= 40
    for term in terms:
        assert term.label_en and term.label_fr and term.definition, term.slug
        assert term.synonyms_en and term.synonyms_fr, term.slug
    payment = GlossaryTerm.objects.get(label_en="Customer payment")
    assert payment.label_fr == "Paiement client"
    assert {"règlement client", "encaissement"} <= set(payment.synonyms_fr)
    assert "payment received" in payment.synonyms_en
    assert set(payment.narrower.values_list("label_en", flat=True)) >= {"Card payment", "Direct debit", "Transfer"}
    assert GlossaryTerm.objects.get(label_en="Sick leave").broader.label_en == "Absence"
    churn = GlossaryTerm.objects.get(label_en="Churn")
    assert churn.label_fr == "Résiliation" and "départ client" in churn.synonyms_fr and "attrition" in churn.synonyms_en
    deep = GlossaryTerm.objects.filter(broader__broader__isnull=False)
    assert deep.exists()  # at least three levels
    assert GlossaryTerm.objects.filter(broader__isnull=False).count() >= 20


def test_datasets_tagged_with_concepts_their_text_never_mentions(demo: str) -> None:
    tagged = Dataset.objects.filter(glossary_terms__label_en="Customer payment")
    silent = [d for d in tagged if "paiement" not in f"{d.name} {d.description}".lower()]
    assert silent
    # Some do not even say "payment": only the glossary links them to the concept.
    assert any("payment" not in f"{d.name} {d.description}".lower() for d in silent)
    closures = Dataset.objects.get(name="Account closures")
    assert closures.glossary_terms.filter(label_en="Churn").exists()
    text = f"{closures.name} {closures.description}".lower()
    assert not any(word in text for word in ["churn", "résiliation", "attrition"])


def test_one_demo_user_per_role_signs_in_with_the_demo_password(demo: str) -> None:
    for role, username in DEMO_USERS_BY_ROLE.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert has_role(user, role), username
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    for username in ["bruno", "helene", "diane"]:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    assert authenticate(username="alice", password="wrong") is None
    assert f"password '{DEMO_PASSWORD}'" in demo


def test_version_histories_with_schema_diffs(demo: str) -> None:
    histories = Dataset.objects.annotate(n=Count("versions")).filter(n__gte=2)
    assert histories.count() >= 20
    assert histories.filter(n__gt=4).count() == 0
    later = [v for v in DatasetVersion.objects.filter(number__gt=1) if v.schema_changed]
    assert len(later) >= 10
    assert any(v.schema_diff["added"] for v in later)
    assert any(v.schema_diff["type_changed"] for v in later)
    assert any(v.schema_diff["removed"] for v in later)
    absences_v2 = DatasetVersion.objects.get(dataset__name="HR absences", number=2)
    assert absences_v2.schema_diff["added"] == ["therapeutic_part_time"]
    assert absences_v2.schema_diff["type_changed"] == [{"name": "days", "from": "integer", "to": "float"}]
    # Daily batches spread over the last weeks, delivered by the custodian, with files or URIs.
    now = timezone.now()
    dates = {v.received_at.date() for v in DatasetVersion.objects.all()}
    assert len(dates) >= 10
    assert all(now - timedelta(days=70) < v.received_at < now for v in DatasetVersion.objects.all())
    assert not DatasetVersion.objects.filter(delivered_by__isnull=True).exists()
    assert not DatasetVersion.objects.filter(file="", uri="").exists()
    files = DatasetVersion.objects.exclude(file="")
    assert files.count() >= 6
    assert all(v.row_count and v.file_size for v in files)
    # The catalog ends in its documented state: versions added no undocumented column.
    assert not Column.objects.filter(description="", dataset__versions__isnull=False).exists()
    assert Column.objects.get(dataset__name="Employees (HR master)", name="postcode").data_type == "string"


def test_prints_a_summary(demo: str) -> None:
    assert "Demo catalog loaded" in demo
    for heading in ["Users:", "Glossary terms:", "Datasets:", "Columns:", "Versions:", "Projects:"]:
        assert heading in demo


def test_loading_twice_creates_nothing(demo: str) -> None:
    before = counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert counts() == before
    assert "already loaded" in out.getvalue()


def test_reset_reloads_the_same_catalog(demo: str) -> None:
    before = counts()
    alice = get_user_model().objects.get(username="alice")
    alice.set_password("changed")
    alice.save()
    out = io.StringIO()
    call_command("load_demo", "--reset", stdout=out)
    assert counts() == before
    assert "Deleted" in out.getvalue()
    assert authenticate(username="alice", password=DEMO_PASSWORD) is not None


# --- Projects (fixtures/projects.py) -----------------------------------------------------------------


def test_projects_cover_every_stage_with_stale_pocs(demo: str) -> None:
    assert Project.objects.count() >= 12
    stages = set(Project.objects.values_list("stage", flat=True))
    assert stages == set(Stage.values)
    assert Project.objects.filter(stage=Stage.ABANDONED).count() == 1
    assert Project.objects.filter(stage=Stage.RETIRED).count() == 1
    stale = Project.objects.filter(is_stale=True)
    assert 1 <= stale.count() <= 2
    now = timezone.now()
    for project in stale:
        assert project.stage == Stage.EXPLORATION and project.days_in_stage(now) > 90
    assert Project.objects.filter(stage=Stage.EXPLORATION, is_stale=False).exists()
    names = set(Project.objects.values_list("name", flat=True))
    assert {"Consumer credit scoring", "Card fraud detection", "HR absenteeism forecasting"} <= names


def test_projects_have_backdated_histories_through_their_gates(demo: str) -> None:
    for project in Project.objects.all():
        history = list(project.transitions.order_by("at", "pk"))
        assert history[0].from_stage == "" and history[-1].to_stage == project.stage
        assert history[-1].at == project.entered_stage_at
        assert [t.at for t in history] == sorted(t.at for t in history)
        assert len({t.at.date() for t in history}) == len(history)  # spread over time, not all today
        assert project.leads, project.name
    production = Project.objects.get(name="Retail churn prediction")
    steps = list(production.transitions.order_by("at").values_list("to_stage", flat=True))
    assert steps == [Stage.QUALIFICATION, Stage.EXPLORATION, Stage.INDUSTRIALIZATION, Stage.PRODUCTION]
    assert production.transitions.first().at < timezone.now() - timedelta(days=300)
    # Every gate passed was signed by the roles it needed, the governance officer by olivier.
    assert SignOff.objects.filter(role=ProjectRole.GOVERNANCE_OFFICER, user__username="olivier").exists()
    assert not SignOff.objects.filter(invalidated_at__isnull=False).exists()
    abandoned = Project.objects.get(stage=Stage.ABANDONED)
    assert abandoned.transitions.get(to_stage=Stage.ABANDONED).reason


def test_projects_have_teams_kpis_risk_and_roadmaps(demo: str) -> None:
    usernames = set(Membership.objects.values_list("user__username", flat=True))
    assert {"alice", "paula", "diane", "bruno", "camille", "helene", "olivier", "admin"} <= usernames
    assert Membership.objects.filter(started_at__lt=timezone.now() - timedelta(days=30)).exists()
    credit = Project.objects.get(name="Consumer credit scoring")
    assert credit.latest_risk_screening().ai_act_tier == AIActTier.HIGH
    assert Project.objects.get(name="HR absenteeism forecasting").latest_risk_screening().dpia_required
    for project in Project.objects.exclude(stage=Stage.QUALIFICATION):
        assert project.kpis.filter(kind="business").exists() and project.kpis.filter(kind="ml").exists()
    assert Project.objects.filter(milestones__actual_date__isnull=False).distinct().count() >= 5
    assert Project.objects.filter(backlog_items__isnull=False).distinct().count() >= 10
    assert Project.objects.filter(model_links__isnull=False).distinct().count() >= 5
