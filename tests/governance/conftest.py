"""The governance tests' world: a project in Exploration with a member data scientist, a dataset with a
column of each personal-data class and a delivered CSV version, and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from catalog.models import Column, Dataset, DatasetVersion, PersonalDataClass
from catalog.roles import Role
from governance import services
from governance.models import AccessRequest
from projects.models import Project, ProjectRole, Stage
from tests.factories import (
    ColumnFactory,
    DatasetFactory,
    DatasetVersionFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
)

ANON = None
DS, MEMBER, LEAD, OFFICER, CUSTODIAN, OTHER_CUSTODIAN, ADMIN = (
    "data_scientist",
    "member",
    "lead",
    "officer",
    "custodian",
    "other_custodian",
    "admin",
)
ROLES = [ANON, DS, MEMBER, LEAD, OFFICER, CUSTODIAN, OTHER_CUSTODIAN, ADMIN]

PURPOSE = "Predict which retail customers may close their account, for account management."
CSV = (
    "customer_id,customer_ref,age_band,balance,health_flag,conviction\n"
    "C001,h-1,30-39,1200.5,no,none\n"
    "C002,h-2,40-49,80.0,yes,none\n"
    "C003,h-3,20-29,15.25,no,fraud\n"
)
CLASSES = {
    "customer_id": (PersonalDataClass.DIRECT, False),
    "customer_ref": (PersonalDataClass.DIRECT, True),
    "age_band": (PersonalDataClass.INDIRECT, False),
    "balance": (PersonalDataClass.NONE, False),
    "health_flag": (PersonalDataClass.SPECIAL, False),
    "conviction": (PersonalDataClass.CRIMINAL, False),
}


@dataclass
class World:
    users: dict[str, Any]
    project: Project
    dataset: Dataset
    version: DatasetVersion
    other_dataset: Dataset

    def user(self, role: str) -> Any:
        return self.users[role]

    def columns(self, *names: str) -> list[Column]:
        return [self.dataset.columns.get(name=n) for n in names]


def build_world() -> World:
    users = {
        DS: UserFactory(username="diane", roles=[Role.DATA_SCIENTIST]),
        MEMBER: UserFactory(username="alice", roles=[Role.DATA_SCIENTIST]),
        LEAD: UserFactory(username="paula", roles=[Role.PROJECT_LEAD]),
        OFFICER: UserFactory(username="olivier", roles=[Role.GOVERNANCE_OFFICER]),
        CUSTODIAN: UserFactory(username="camille", roles=[Role.DATA_CUSTODIAN]),
        OTHER_CUSTODIAN: UserFactory(username="bruno", roles=[Role.DATA_CUSTODIAN]),
        ADMIN: UserFactory(username="root", roles=[Role.ADMIN], is_superuser=True),
    }
    project = ProjectFactory(
        name="Retail churn", slug="retail-churn", purpose=PURPOSE, stage=Stage.EXPLORATION, lead=users[LEAD]
    )
    MembershipFactory(project=project, user=users[MEMBER], role=ProjectRole.DATA_SCIENTIST)
    dataset = DatasetFactory(
        name="Customer accounts",
        slug="customer-accounts",
        owner=users[CUSTODIAN],
        custodian=users[CUSTODIAN],
        retention_days=365,
        collection_purpose="Account management of retail customers.",
        data_subject_categories=["customers"],
        personal_data_categories=["identity", "financial", "health"],
        security_measures="Encrypted at rest; access logged.",
    )
    for position, (name, (pdc, pseudo)) in enumerate(CLASSES.items()):
        ColumnFactory(dataset=dataset, name=name, position=position, personal_data_class=pdc, pseudonymised=pseudo)
    version = DatasetVersionFactory(
        dataset=dataset,
        number=1,
        schema=[{"name": n, "type": "string"} for n in CLASSES],
        encoding="utf-8",
        delimiter=",",
        file_format="csv",
    )
    version.file.save("customers.csv", ContentFile(CSV.encode()), save=True)
    other = DatasetFactory(name="Branch list", slug="branch-list", owner=users[OTHER_CUSTODIAN])
    ColumnFactory(dataset=other, name="branch_code", personal_data_class=PersonalDataClass.NONE)
    return World(users=users, project=project, dataset=dataset, version=version, other_dataset=other)


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def in_days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def file_request(
    world: World, columns: tuple[str, ...] = ("customer_ref", "age_band", "balance"), **over: Any
) -> AccessRequest:
    """A request by the member data scientist, passing every pre-check unless told otherwise."""
    values: dict[str, Any] = {
        "requester": world.user(MEMBER),
        "project": world.project,
        "dataset": world.dataset,
        "columns": list(columns),
        "purpose": PURPOSE,
        "legal_basis": "legitimate_interests",
        "requested_end": in_days(60),
        "justification": "",
    }
    values.update(over)
    return services.access_request_create(**values)


def approve(world: World, request: AccessRequest, **over: Any) -> AccessRequest:
    values: dict[str, Any] = {
        "request": request,
        "officer": world.user(OFFICER),
        "decision": "approve",
        "reason": "Fine.",
    }
    values.update(over)
    return services.access_request_decide(**values)
