"""Fixtures of the projects tests: a project created through the services, its lead and team."""

from __future__ import annotations

from typing import Any

import pytest

from projects import services
from projects.models import Project, ProjectRole


@pytest.fixture
def lead(project_lead: Any) -> Any:
    """The project lead (platform role project lead), who creates ``project``."""
    return project_lead


@pytest.fixture
def project(lead: Any) -> Project:
    """A project in Qualification, created by ``lead`` through the services."""
    return services.project_create(
        name="Card fraud scoring",
        purpose="Score card payments to block fraudulent ones before settlement.",
        creator=lead,
    )


@pytest.fixture
def add_member(lead: Any) -> Any:
    """Add ``user`` to ``project`` with ``role`` through the services."""

    def add(project: Project, user: Any, role: str = ProjectRole.DATA_SCIENTIST) -> Any:
        return services.membership_add(project=project, user=user, role=role, added_by=lead)

    return add
