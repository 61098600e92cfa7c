"""The governance pages (issue 5) through Django's test client: each page for an anonymous visitor, a
user of the wrong role and of the right one; forms that refuse bad input say why (HTTP 400, nothing
saved); the writes go through the real services (pre-checks, grants, deletion tasks, audit trail)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.roles import Role
from catalog.search.sync import rebuild
from governance import services
from governance.models import AccessRequest, AuditEvent, AuditVerification, DeletionTask, Grant, RequestStatus
from projects.models import Project, ProjectRole, Stage
from tests.factories import MembershipFactory, ProjectFactory
from tests.frontend.data import Catalog, ClientAs

pytestmark = pytest.mark.django_db

PURPOSE = "Detect fraudulent card payments to block them before settlement."


def _text(response: HttpResponse) -> str:
    """The body as a person reads it: tags removed, whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())


@dataclass
class World:
    catalog: Catalog
    project: Project
    member: User
    lead: User
    officer: User
    custodian: User
    outsider: User
    admin: User


@pytest.fixture
def world(
    catalog: Catalog,
    data_scientist: User,
    project_lead: User,
    officer: User,
    custodian: User,
    admin_user: User,
    make_user: Callable[..., User],
) -> World:
    project = ProjectFactory(
        name="Card fraud", slug="card-fraud", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=project_lead
    )
    MembershipFactory(project=project, user=data_scientist, role=ProjectRole.DATA_SCIENTIST)
    return World(
        catalog=catalog,
        project=project,
        member=data_scientist,
        lead=project_lead,
        officer=officer,
        custodian=custodian,
        outsider=make_user(Role.DATA_SCIENTIST, username="diane"),
        admin=admin_user,
    )


def _file(world: World, columns: tuple[str, ...] = ("customer_id", "amount"), **kwargs: object) -> AccessRequest:
    values: dict[str, object] = {
        "requester": world.member,
        "project": world.project,
        "dataset": world.catalog.card_payments,
        "columns": list(columns),
        "purpose": PURPOSE,
        "legal_basis": "legitimate_interests",
        "requested_end": timezone.localdate() + timedelta(days=80),
    }
    values.update(kwargs)
    return services.access_request_create(**values)  # type: ignore[arg-type]


def _approve(world: World, request: AccessRequest, days: int = 60) -> Grant:
    services.access_request_decide(
        request=request,
        officer=world.officer,
        decision="approve",
        reason="Pseudonymised key and amounts: proportionate.",
        expires_on=timezone.localdate() + timedelta(days=days),
    )
    return Grant.objects.get(request=request)


def _revoked(world: World) -> DeletionTask:
    grant = _approve(world, _file(world))
    services.grant_revoke(grant=grant, actor=world.officer, reason="The POC ended.")
    return DeletionTask.objects.get(grant=grant)


# --- Who sees what ----------------------------------------------------------------------------------------

OFFICER_PAGES = ["governance-queue", "governance-grants", "governance-register", "governance-audit"]


@pytest.mark.parametrize(
    "url",
    [
        reverse("frontend:my-requests"),
        reverse("frontend:governance-queue"),
        reverse("frontend:governance-grants"),
        reverse("frontend:deletion-tasks"),
        reverse("frontend:governance-register"),
        reverse("frontend:governance-audit"),
        reverse("frontend:access-request-create", args=["card-payments"]),
        reverse("frontend:access-request-detail", args=[1]),
        reverse("frontend:access-request-edit", args=[1]),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, url: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "url",
    [
        reverse("frontend:access-request-decide", args=[1]),
        reverse("frontend:grant-revoke", args=[1]),
        reverse("frontend:deletion-task-close", args=[1]),
        reverse("frontend:governance-audit-verify"),
    ],
)
def test_anonymous_posts_change_nothing(client, url: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(url, {"reason": "x"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", OFFICER_PAGES)
def test_officer_pages_refuse_other_roles(world: World, client_as: ClientAs, name: str) -> None:
    for user in (world.member, world.lead, world.custodian):
        assert client_as(user).get(reverse(f"frontend:{name}")).status_code == 403


@pytest.mark.parametrize("name", OFFICER_PAGES)
def test_officers_and_admins_open_the_officer_pages(world: World, client_as: ClientAs, name: str) -> None:
    _file(world)
    for user in (world.officer, world.admin):
        response = client_as(user).get(reverse(f"frontend:{name}"))
        assert response.status_code == 200
        assert "Review queue" in _text(response)


def test_deletion_tasks_page_is_for_custodians_and_officers(world: World, client_as: ClientAs) -> None:
    task = _revoked(world)
    assert client_as(world.member).get(reverse("frontend:deletion-tasks")).status_code == 403
    assert client_as(world.lead).get(reverse("frontend:deletion-tasks")).status_code == 403
    for user in (world.custodian, world.officer, world.admin):
        response = client_as(user).get(reverse("frontend:deletion-tasks"))
        assert response.status_code == 200
        assert f'data-task="{task.pk}"' in response.content.decode()


def test_the_navigation_shows_governance_links_by_role(world: World, client_as: ClientAs) -> None:
    member_page = client_as(world.member).get(reverse("frontend:home")).content.decode()
    assert reverse("frontend:my-requests") in member_page
    assert reverse("frontend:governance-queue") not in member_page
    officer_page = client_as(world.officer).get(reverse("frontend:home")).content.decode()
    for name in ("my-requests", "governance-queue", "governance-register", "governance-audit"):
        assert reverse(f"frontend:{name}") in officer_page
    custodian_page = client_as(world.custodian).get(reverse("frontend:home")).content.decode()
    assert reverse("frontend:deletion-tasks") in custodian_page
    assert reverse("frontend:governance-queue") not in custodian_page


# --- Filing a request -------------------------------------------------------------------------------------------


def test_the_request_form_offers_the_users_projects_and_the_columns_with_their_classes(
    world: World, client_as: ClientAs
) -> None:
    other = ProjectFactory(name="Other team's project", stage=Stage.EXPLORATION)
    response = client_as(world.member).get(reverse("frontend:access-request-create", args=["card-payments"]))
    assert response.status_code == 200
    body = response.content.decode()
    text = _text(response)
    assert f'<option value="{world.project.pk}" selected>Card fraud</option>' in body
    assert other.name not in text
    assert "customer_id" in text and "Indirect identifier" in text
    for column in ("customer_id", "amount", "paid_at"):
        assert f'data-column="{column}"' in body
    assert 'data-class="indirect"' in body
    assert PURPOSE in body  # pre-filled with the project's purpose
    assert "Art. 9(2) condition" in text


def test_a_user_without_a_project_is_told_why_and_cannot_post(world: World, client_as: ClientAs) -> None:
    url = reverse("frontend:access-request-create", args=["card-payments"])
    response = client_as(world.outsider).get(url)
    assert response.status_code == 200
    assert "You are not an active member of an open project" in _text(response)
    assert client_as(world.outsider).post(url, {"project": world.project.pk}).status_code == 403
    assert not AccessRequest.objects.exists()


def test_posting_for_a_project_the_user_is_not_a_member_of_is_refused(world: World, client_as: ClientAs) -> None:
    other = ProjectFactory(name="Someone else's", stage=Stage.EXPLORATION)
    response = client_as(world.member).post(
        reverse("frontend:access-request-create", args=["card-payments"]),
        {
            "project": other.pk,
            "columns": [world.catalog.card_payments.columns.get(name="amount").pk],
            "purpose": PURPOSE,
            "requested_end": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    assert not AccessRequest.objects.exists()


def test_filing_a_request_shows_its_prechecks(world: World, client_as: ClientAs) -> None:
    client = client_as(world.member)
    columns = world.catalog.card_payments.columns
    response = client.post(
        reverse("frontend:access-request-create", args=["card-payments"]),
        {
            "project": world.project.pk,
            "columns": [columns.get(name=n).pk for n in ("customer_id", "amount", "paid_at")],
            "purpose": PURPOSE,
            "legal_basis": "legitimate_interests",
            "requested_end": (timezone.localdate() + timedelta(days=60)).isoformat(),
        },
        follow=True,
    )
    assert response.status_code == 200
    filed = AccessRequest.objects.get()
    assert filed.requester == world.member and filed.status == RequestStatus.PENDING
    assert sorted(c.name for c in filed.columns.all()) == ["amount", "customer_id", "paid_at"]
    text = _text(response)
    assert f"Request #{filed.pk} filed" in text
    body = response.content.decode()
    assert body.count('class="precheck precheck--') == 7
    assert 'data-rule="legal_basis" data-outcome="pass"' in body
    assert "Art. 6(4)" in text and "Purpose compatibility" in text
    assert "Pending review" in text
    assert "Record the decision" not in text  # the requester does not decide


def test_the_form_requires_a_legal_basis_for_personal_data_and_loses_nothing(world: World, client_as: ClientAs) -> None:
    columns = world.catalog.card_payments.columns
    response = client_as(world.member).post(
        reverse("frontend:access-request-create", args=["card-payments"]),
        {
            "project": world.project.pk,
            "columns": [columns.get(name="customer_id").pk],
            "purpose": "My own words",
            "requested_end": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 400
    text = _text(response)
    assert "Not filed: correct the fields marked below." in text
    assert "Personal data is requested: choose the legal basis (Art. 6(1))." in text
    assert "My own words" in response.content.decode()  # what was typed is kept
    assert not AccessRequest.objects.exists()


def test_special_categories_need_an_art9_condition_and_direct_identifiers_a_justification(
    world: World, client_as: ClientAs
) -> None:
    columns = world.catalog.health_claims.columns
    MembershipFactory(project=world.project, user=world.outsider)
    response = client_as(world.outsider).post(
        reverse("frontend:access-request-create", args=["health-claims"]),
        {
            "project": world.project.pk,
            "columns": [c.pk for c in columns.all()],
            "purpose": PURPOSE,
            "legal_basis": "consent",
            "requested_end": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    text = _text(response)
    assert "Special-category columns ticked (diagnosis): choose the Art. 9(2) condition." in text
    assert "Direct identifiers ticked (insured_name): say why the project needs them." in text
    assert "The date is past" in text
    assert not AccessRequest.objects.exists()


def test_a_second_open_request_for_the_same_dataset_gets_the_services_message(
    world: World, client_as: ClientAs
) -> None:
    _file(world)
    columns = world.catalog.card_payments.columns
    response = client_as(world.member).post(
        reverse("frontend:access-request-create", args=["card-payments"]),
        {
            "project": world.project.pk,
            "columns": [columns.get(name="amount").pk],
            "purpose": PURPOSE,
            "requested_end": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "already has an open request for this dataset" in _text(response)
    assert AccessRequest.objects.count() == 1


# --- A request's page, and deciding ---------------------------------------------------------------------------


def test_a_request_is_visible_to_its_requester_project_and_officers_only(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    url = reverse("frontend:access-request-detail", args=[filed.pk])
    assert client_as(world.outsider).get(url).status_code == 404
    for user in (world.member, world.lead, world.custodian):
        response = client_as(user).get(url)
        assert response.status_code == 200
        assert "Record the decision" not in _text(response)
    response = client_as(world.officer).get(url)
    text = _text(response)
    assert "Record the decision" in text
    # The officer weighs the project: its stage, AI Act tier, DPIA.
    assert "Exploration (POC)" in text and "AI Act tier" in text and "DPIA" in text
    assert "Indirect identifier" in text  # the columns with their classes


def test_only_officers_decide(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    url = reverse("frontend:access-request-decide", args=[filed.pk])
    for user in (world.member, world.lead, world.custodian):
        assert client_as(user).post(url, {"decision": "approve", "reason": "Fine."}).status_code == 403
    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING


def test_a_decision_without_a_reason_is_refused(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    response = client_as(world.officer).post(
        reverse("frontend:access-request-decide", args=[filed.pk]), {"decision": "approve", "reason": ""}
    )
    assert response.status_code == 400
    assert "Every decision has a reason." in _text(response)
    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING and not Grant.objects.exists()


def test_approving_with_conditions_needs_the_conditions(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    response = client_as(world.officer).post(
        reverse("frontend:access-request-decide", args=[filed.pk]),
        {"decision": "approve_with_conditions", "reason": "Fine."},
    )
    assert response.status_code == 400
    assert "Say which conditions the approval comes with." in _text(response)


def test_the_officer_approves_with_an_expiry_and_everyone_sees_the_grant(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    expiry = timezone.localdate() + timedelta(days=60)
    response = client_as(world.officer).post(
        reverse("frontend:access-request-decide", args=[filed.pk]),
        {"decision": "approve", "reason": "Proportionate.", "expires_on": expiry.isoformat()},
        follow=True,
    )
    assert response.status_code == 200
    grant = Grant.objects.get(request=filed)
    assert grant.expires_on == expiry
    assert f"access until {expiry:%Y-%m-%d}" in _text(response)
    # The requester: the request page, the list and the dataset page.
    client = client_as(world.member)
    page = _text(client.get(reverse("frontend:access-request-detail", args=[filed.pk])))
    assert "Approved" in page and f"Access until {expiry:%Y-%m-%d}" in page and "Proportionate." in page
    mine = _text(client.get(reverse("frontend:my-requests")))
    assert "Approved" in mine and f"{expiry:%Y-%m-%d}" in mine
    dataset_page = _text(client.get(reverse("frontend:dataset-detail", args=["card-payments"])))
    assert f"Granted to Card fraud until {expiry:%Y-%m-%d}" in dataset_page
    # The project page lists the dataset it uses.
    project_page = client.get(reverse("frontend:project-detail", args=["card-fraud"]))
    assert 'data-dataset="card-payments"' in project_page.content.decode()
    assert "Datasets used 1" in _text(project_page)


def test_approving_over_a_blocking_precheck_needs_an_override_reason(world: World, client_as: ClientAs) -> None:
    MembershipFactory(project=world.project, user=world.outsider)
    filed = services.access_request_create(
        requester=world.outsider,
        project=world.project,
        dataset=world.catalog.fraud_convictions,
        columns=["offence"],
        purpose=PURPOSE,
        legal_basis="legal_obligation",
        requested_end=timezone.localdate() + timedelta(days=30),
    )
    url = reverse("frontend:access-request-decide", args=[filed.pk])
    client = client_as(world.officer)
    page = _text(client.get(reverse("frontend:access-request-detail", args=[filed.pk])))
    assert "Blocking pre-checks." in page and "Art. 10" in page
    response = client.post(url, {"decision": "approve", "reason": "Needed for the fraud model."})
    assert response.status_code == 400
    assert "approving needs a written reason for overriding them" in _text(response)
    assert not Grant.objects.exists()
    response = client.post(
        url,
        {"decision": "approve", "reason": "Needed.", "override_reason": "Fraud-prevention legal obligation (Art. 10)."},
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == RequestStatus.APPROVED and filed.override_reason.startswith("Fraud-prevention")


def test_changes_asked_the_requester_changes_and_resubmits(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    client_as(world.officer).post(
        reverse("frontend:access-request-decide", args=[filed.pk]),
        {"decision": "ask_changes", "reason": "Do you need paid_at? Ask for amount only."},
    )
    filed.refresh_from_db()
    assert filed.status == RequestStatus.CHANGES_REQUESTED
    client = client_as(world.member)
    mine = _text(client.get(reverse("frontend:my-requests")))
    assert "1 request sent back for changes" in mine and "Changes requested" in mine
    edit_url = reverse("frontend:access-request-edit", args=[filed.pk])
    page = client.get(edit_url)
    assert page.status_code == 200
    assert "Do you need paid_at? Ask for amount only." in _text(page)
    # Others may not change it.
    assert client_as(world.lead).get(edit_url).status_code == 403
    assert client_as(world.outsider).get(edit_url).status_code == 404
    # A bad change is refused and changes nothing.
    response = client.post(edit_url, {"purpose": PURPOSE, "requested_end": "soon"})
    assert response.status_code == 400
    assert "Tick at least one column." in _text(response)
    amount = world.catalog.card_payments.columns.get(name="amount")
    response = client.post(
        edit_url,
        {
            "columns": [amount.pk],
            "purpose": PURPOSE,
            "requested_end": (timezone.localdate() + timedelta(days=40)).isoformat(),
        },
        follow=True,
    )
    assert response.status_code == 200
    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING and filed.revision == 2
    assert [c.name for c in filed.columns.all()] == ["amount"]
    assert f"Request #{filed.pk} resubmitted" in _text(response)
    queue = _text(client_as(world.officer).get(reverse("frontend:governance-queue")))
    assert f"Review #{filed.pk}" in queue and "resubmitted" in queue


def test_refusal_and_conditional_approval_show_their_reasons(world: World, client_as: ClientAs) -> None:
    refused = _file(world)
    officer = client_as(world.officer)
    officer.post(
        reverse("frontend:access-request-decide", args=[refused.pk]),
        {"decision": "refuse", "reason": "The amounts alone answer the question."},
    )
    refused.refresh_from_db()
    assert refused.status == RequestStatus.REFUSED and not Grant.objects.exists()
    page = _text(client_as(world.member).get(reverse("frontend:access-request-detail", args=[refused.pk])))
    assert "Decision: Refuse" in page and "The amounts alone answer the question." in page
    assert "Change and resubmit" not in page
    second = _file(world, columns=("amount",))
    response = officer.post(
        reverse("frontend:access-request-decide", args=[second.pk]),
        {
            "decision": "approve_with_conditions",
            "reason": "Fine.",
            "conditions": "Aggregated results only in reports.",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        follow=True,
    )
    text = _text(response)
    assert "Decision: Approve with conditions" in text and "Aggregated results only in reports." in text
    assert Grant.objects.get(request=second).conditions == "Aggregated results only in reports."


def test_the_export_links_of_the_register_answer_in_the_officers_session(world: World, client_as: ClientAs) -> None:
    _approve(world, _file(world))
    client = client_as(world.officer)
    csv_response = client.get(reverse("governance-api:register-csv"))
    assert csv_response.status_code == 200 and "Card fraud" in csv_response.content.decode()
    json_response = client.get(reverse("governance-api:register"), {"format": "json"})
    assert json_response.status_code == 200 and json_response.json()[0]["project"] == "Card fraud"


def test_a_decided_request_can_no_longer_change(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    _approve(world, filed)
    response = client_as(world.member).get(reverse("frontend:access-request-edit", args=[filed.pk]), follow=True)
    assert "This request is approved: it can no longer change." in _text(response)


# --- Officer lists --------------------------------------------------------------------------------------------------


def test_the_queue_lists_pending_requests_oldest_first_with_their_prechecks(world: World, client_as: ClientAs) -> None:
    first = _file(world)
    MembershipFactory(project=world.project, user=world.outsider)
    second = services.access_request_create(
        requester=world.outsider,
        project=world.project,
        dataset=world.catalog.fraud_convictions,
        columns=["offence"],
        purpose=PURPOSE,
        legal_basis="legal_obligation",
        requested_end=timezone.localdate() + timedelta(days=30),
    )
    AccessRequest.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    body = client_as(world.officer).get(reverse("frontend:governance-queue")).content.decode()
    assert body.index(f'data-request="{first.pk}"') < body.index(f'data-request="{second.pk}"')
    row = body[body.index(f'data-request="{second.pk}"') :]
    assert 'data-outcome="blocking"' in row.split("</tr>")[0]


def test_grants_page_lists_and_revokes(world: World, client_as: ClientAs) -> None:
    grant = _approve(world, _file(world), days=5)
    page = client_as(world.officer).get(reverse("frontend:governance-grants"))
    text = _text(page)
    assert f'data-grant="{grant.pk}"' in page.content.decode()
    assert "Expiring soon 1" in text
    url = reverse("frontend:grant-revoke", args=[grant.pk])
    assert client_as(world.member).post(url, {"reason": "No."}).status_code == 403
    response = client_as(world.officer).post(url, {"reason": "  "}, follow=True)
    assert f"Grant #{grant.pk} was not revoked: Say why the grant is revoked." in _text(response)
    grant.refresh_from_db()
    assert grant.revoked_at is None
    response = client_as(world.officer).post(url, {"reason": "The project stopped."}, follow=True)
    assert "a deletion task was created for the custodian" in _text(response)
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert DeletionTask.objects.filter(grant=grant, custodian=world.custodian).exists()
    assert "Revoked 1" in _text(response)


def test_the_custodian_closes_a_deletion_task_with_evidence(world: World, client_as: ClientAs) -> None:
    task = _revoked(world)
    url = reverse("frontend:deletion-task-close", args=[task.pk])
    # A member of the project sees the task's existence through the API but may not close it.
    assert client_as(world.member).post(url, {"evidence_text": "done"}).status_code == 403
    assert client_as(world.outsider).post(url, {"evidence_text": "done"}).status_code == 404
    client = client_as(world.custodian)
    response = client.post(url, {"evidence_text": ""})
    assert response.status_code == 400
    assert "Say how and when the data was deleted." in _text(response)
    task.refresh_from_db()
    assert task.closed_at is None
    evidence = SimpleUploadedFile("purge-log.txt", b"rm -rf /data/card-fraud/card-payments\n", "text/plain")
    response = client.post(url, {"evidence_text": "Purged the project's copy.", "evidence_file": evidence}, follow=True)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.closed_by == world.custodian and task.file_name == "purge-log.txt"
    text = _text(response)
    assert f"Deletion task #{task.pk} closed" in text and "Purged the project's copy." in text


def test_overdue_tasks_are_highlighted(world: World, client_as: ClientAs) -> None:
    task = _revoked(world)
    DeletionTask.objects.filter(pk=task.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    response = client_as(world.officer).get(reverse("frontend:deletion-tasks"))
    assert "1 task overdue." in _text(response)
    assert 'class="card task is-overdue"' in response.content.decode()


def test_the_register_lists_the_projects_with_grants_and_links_the_exports(world: World, client_as: ClientAs) -> None:
    client = client_as(world.officer)
    assert "No processing yet" in _text(client.get(reverse("frontend:governance-register")))
    _approve(world, _file(world))
    response = client.get(reverse("frontend:governance-register"))
    text = _text(response)
    assert "Card fraud" in text and PURPOSE in text and "Customers" in text
    assert "Card payments: Standard contractual clauses" in text  # the transfer outside the EU
    body = response.content.decode()
    assert reverse("governance-api:register-csv") in body and reverse("governance-api:register") in body


def test_the_audit_trail_shows_events_filters_and_verifies_the_chain(world: World, client_as: ClientAs) -> None:
    filed = _file(world)
    _approve(world, filed)
    client = client_as(world.officer)
    response = client.get(reverse("frontend:governance-audit"))
    text = _text(response)
    assert "Chain verified" in text and "no break" in text
    for action in ("access_request.filed", "access_request.decided", "grant.created"):
        assert f'data-action="{action}"' in response.content.decode()
    by_actor = client.get(reverse("frontend:governance-audit"), {"actor": "olivier"}).content.decode()
    assert 'data-action="access_request.decided"' in by_actor and 'data-action="access_request.filed"' not in by_actor
    by_object = client.get(
        reverse("frontend:governance-audit"), {"target_type": "governance.grant", "target_id": filed.grant.pk}
    ).content.decode()
    assert 'data-action="grant.created"' in by_object and 'data-action="access_request.filed"' not in by_object
    unknown = _text(client.get(reverse("frontend:governance-audit"), {"actor": "nobody"}))
    assert "No user has this username." in unknown


def test_the_audit_page_reports_a_broken_chain(world: World, client_as: ClientAs) -> None:
    _file(world)
    event = AuditEvent.objects.order_by("seq").first()
    assert event is not None
    _tamper(event)
    text = _text(client_as(world.officer).get(reverse("frontend:governance-audit")))
    assert "Chain broken" in text and f"event #{event.seq}: its content does not match its hash (edited)" in text


def _tamper(event: AuditEvent) -> None:
    """An edit behind the application's back, as a database administrator would (on PostgreSQL the
    append-only trigger is disabled first)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER governance_auditevent_append_only")
        cursor.execute("UPDATE governance_auditevent SET actor_name = %s WHERE id = %s", ["mallory", event.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER governance_auditevent_append_only")


def _walk_now(client: Client, capture: Any) -> HttpResponse:
    """Ask for a full walk from the page; the task is queued on commit (in-process here)."""
    with capture(execute=True):
        return client.post(reverse("frontend:governance-audit-verify"))


def test_a_long_chain_is_checked_from_the_last_full_walk(
    world: World, client_as: ClientAs, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Beyond AUDIT_PAGE_FULL_VERIFY_LIMIT events the page walks only what came after the last full
    walk; an edit older than that walk is caught by the next walk (periodic, or asked for here)."""
    settings.AUDIT_PAGE_FULL_VERIFY_LIMIT = 2
    filed = _file(world)
    client = client_as(world.officer)
    # No full walk kept yet: the whole chain is walked now, and the page says so.
    text = _text(client.get(reverse("frontend:governance-audit")))
    assert "Chain verified" in text and "Every event was checked now." in text
    response = _walk_now(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == reverse("frontend:governance-audit")
    walk = AuditVerification.objects.get()
    assert walk.ok and walk.trigger == "officer" and walk.requested_by == world.officer
    assert walk.checked == AuditEvent.objects.count() and walk.last_seq == AuditEvent.objects.order_by("seq").last().seq
    _approve(world, filed)  # more events after the walk
    added = AuditEvent.objects.filter(seq__gt=walk.last_seq).count()
    assert added > 0
    text = _text(client.get(reverse("frontend:governance-audit")))
    assert "Chain verified" in text and f"the {added} events appended since were checked now" in text
    assert f"({walk.checked} events, asked for by an officer)" in text
    # An edit of an event the walk already covered is not seen by the page...
    _tamper(AuditEvent.objects.order_by("seq").first())
    assert "Chain verified" in _text(client.get(reverse("frontend:governance-audit")))
    # ...until the next full walk, which the page then reports.
    _walk_now(client, django_capture_on_commit_callbacks)
    text = _text(client.get(reverse("frontend:governance-audit")))
    assert "Chain broken" in text and "its content does not match its hash (edited)" in text


def test_an_edit_after_the_last_full_walk_is_seen_at_once(
    world: World, client_as: ClientAs, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_PAGE_FULL_VERIFY_LIMIT = 1
    filed = _file(world)
    client = client_as(world.officer)
    _walk_now(client, django_capture_on_commit_callbacks)
    walk = AuditVerification.objects.get()
    _approve(world, filed)
    newer = AuditEvent.objects.filter(seq__gt=walk.last_seq).order_by("seq").first()
    _tamper(newer)
    text = _text(client.get(reverse("frontend:governance-audit")))
    assert "Chain broken" in text and f"event #{newer.seq}: its content does not match its hash (edited)" in text


def test_only_officers_ask_for_a_full_walk(
    world: World, client_as: ClientAs, django_capture_on_commit_callbacks: Any
) -> None:
    _file(world)
    for user in (world.member, world.lead, world.custodian, world.outsider):
        assert _walk_now(client_as(user), django_capture_on_commit_callbacks).status_code == 403
    assert not AuditVerification.objects.exists()
    assert _walk_now(client_as(world.admin), django_capture_on_commit_callbacks).status_code == 302
    assert AuditVerification.objects.get().requested_by == world.admin
    assert client_as(world.officer).get(reverse("frontend:governance-audit-verify")).status_code == 405


# --- Dataset, project and search pages -------------------------------------------------------------------------------


def test_the_dataset_page_says_what_the_user_may_do(world: World, client_as: ClientAs) -> None:
    client = client_as(world.member)
    url = reverse("frontend:dataset-detail", args=["card-payments"])
    page = client.get(url)
    body = page.content.decode()
    assert 'id="request-access"' in body
    assert reverse("frontend:access-request-create", args=["card-payments"]) + "?project=card-fraud" in body
    assert "Download: needs a grant" in _text(page)
    filed = _file(world)
    text = _text(client.get(url))
    assert f"Pending review Request #{filed.pk} of Card fraud" in text
    _approve(world, filed)
    # Only customer_id is personal: a grant covering it allows the download.
    page = client.get(url)
    assert reverse("frontend:version-download", args=["card-payments", 2]) in page.content.decode()
    # The custodian delivers it; a non-personal dataset needs no request.
    assert "You deliver this dataset" in _text(client_as(world.custodian).get(url))
    branch = _text(client.get(reverse("frontend:dataset-detail", args=["branch-opening-hours"])))
    assert "No request needed" in branch


def test_search_hits_show_the_access_badge(world: World, client_as: ClientAs) -> None:
    rebuild()
    _file(world)
    response = client_as(world.member).get(reverse("frontend:search"), {"q": "claims payments"})
    body = response.content.decode()
    assert 'data-access="pending"' in body and "Request pending" in _text(response)
    response = client_as(world.member).get(reverse("frontend:search"), {"q": "health claims"})
    assert 'data-access="requestable"' in response.content.decode()
    assert "Request needed" in _text(response)
