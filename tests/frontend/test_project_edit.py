"""Editing and deleting the rows of the project page through Django's test client: KPIs, milestones
(actual date, reached or not) and backlog items (status), each through its service, with field errors
on a refusal and the rights of ``Project.access(user)``: anonymous users are sent to log in, members
who do not manage the project and officers are refused, project leads and admins may (issue 4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from projects import services
from projects.models import BacklogItem, Milestone, Project, ProjectKPI, ProjectRole, SignOff, Stage
from tests.frontend.data import ClientAs
from tests.projects.helpers import advance_to, complete_checklist

pytestmark = pytest.mark.django_db


def _text(response: HttpResponse) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _url(name: str, project: Project, *args: object) -> str:
    return reverse(f"frontend:{name}", args=[project.slug, *args])


def _followed(client: Client, response: HttpResponse) -> str:
    assert response.status_code == 302, _text(response)[:2000]
    return _text(client.get(response["Location"]))


@pytest.fixture
def project(project_lead: User) -> Project:
    return services.project_create(
        name="Churn prediction",
        purpose="Predict which retail customers will close their accounts.",
        creator=project_lead,
    )


@pytest.fixture
def rows(project: Project) -> dict[str, object]:
    """A KPI, a milestone and a backlog item of ``project``."""
    return {
        "kpi": services.kpi_create(project=project, kind="ml", name="Recall", target=0.8),
        "milestone": services.milestone_create(project=project, title="POC demo", target_date=date(2030, 3, 1)),
        "backlog": services.backlog_item_create(project=project, title="Churn features", profile="data_engineer"),
    }


# Every write of this module: (url name, row key, POST data that the service accepts).
WRITES: list[tuple[str, str, dict[str, str]]] = [
    ("project-kpi-edit", "kpi", {"kind": "ml", "name": "Recall", "target": "0.9", "direction": "higher"}),
    ("project-kpi-delete", "kpi", {}),
    ("project-milestone-edit", "milestone", {"title": "POC demo", "target_date": "2030-04-01"}),
    ("project-milestone-delete", "milestone", {}),
    ("project-backlog-edit", "backlog", {"title": "Churn features", "profile": "data_engineer", "status": "doing"}),
    ("project-backlog-status", "backlog", {"status": "done"}),
    ("project-backlog-delete", "backlog", {}),
]


def _unchanged(rows: dict[str, object]) -> None:
    kpi, milestone, item = rows["kpi"], rows["milestone"], rows["backlog"]
    assert ProjectKPI.objects.get(pk=kpi.pk).target == 0.8  # type: ignore[attr-defined]
    assert Milestone.objects.get(pk=milestone.pk).target_date == date(2030, 3, 1)  # type: ignore[attr-defined]
    assert BacklogItem.objects.get(pk=item.pk).status == "todo"  # type: ignore[attr-defined]


# --- Who sees the forms and who may post -------------------------------------------------------------


def test_the_lead_sees_an_edit_form_and_a_delete_button_per_row(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    response = client_as(project_lead).get(_url("project-detail", project))
    html, text = response.content.decode(), _text(response)
    kpi, milestone, item = rows["kpi"], rows["milestone"], rows["backlog"]
    for subject in ("KPI Recall", "milestone POC demo", "backlog item Churn features"):
        # The visible "Edit", "Save changes" and "Delete" are told apart by a screen-reader-only subject.
        assert f"Edit {subject}" in text
        assert f"Save changes to {subject}" in text
        assert f"Delete {subject}" in text
    # The edit forms are prefilled, with ids of their own row (labels point to them).
    assert f'<label for="id_kpi{kpi.pk}_target">' in html  # type: ignore[attr-defined]
    assert re.search(rf'name="target"[^>]*id="id_kpi{kpi.pk}_target"|id="id_kpi{kpi.pk}_target"[^>]*value="0.8"', html)  # type: ignore[attr-defined]
    assert f'<label for="id_milestone{milestone.pk}_actual_date">' in html  # type: ignore[attr-defined]
    assert f'<label for="backlog-status-{item.pk}" class="visually-hidden">Status of Churn features</label>' in html  # type: ignore[attr-defined]
    assert "Set status of Churn features" in text


def test_a_member_who_does_not_lead_sees_no_row_form_and_is_refused(
    client_as: ClientAs,
    project_lead: User,
    data_scientist: User,
    project: Project,
    rows: dict[str, object],
) -> None:
    services.membership_add(
        project=project, user=data_scientist, role=ProjectRole.DATA_SCIENTIST, added_by=project_lead
    )
    client = client_as(data_scientist)
    text = _text(client.get(_url("project-detail", project)))
    assert "Recall" in text and "POC demo" in text and "Churn features" in text
    assert "Edit KPI Recall" not in text and "Delete KPI Recall" not in text
    assert "Set status of Churn features" not in text
    for name, key, data in WRITES:
        assert client.post(_url(name, project, rows[key].pk), data).status_code == 403, name  # type: ignore[attr-defined]
    _unchanged(rows)
    assert ProjectKPI.objects.count() == Milestone.objects.count() == BacklogItem.objects.count() == 1


def test_an_officer_reads_but_may_not_edit(
    client_as: ClientAs, officer: User, project: Project, rows: dict[str, object]
) -> None:
    client = client_as(officer)
    text = _text(client.get(_url("project-detail", project)))
    assert "Recall" in text and "Edit KPI Recall" not in text
    for name, key, data in WRITES:
        assert client.post(_url(name, project, rows[key].pk), data).status_code == 403, name  # type: ignore[attr-defined]
    _unchanged(rows)


def test_anonymous_users_are_sent_to_log_in(client: Client, project: Project, rows: dict[str, object]) -> None:
    for name, key, data in WRITES:
        response = client.post(_url(name, project, rows[key].pk), data)  # type: ignore[attr-defined]
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    _unchanged(rows)


def test_an_admin_may_edit_without_being_a_member(
    client_as: ClientAs, admin_user: User, project: Project, rows: dict[str, object]
) -> None:
    client = client_as(admin_user)
    response = client.post(_url("project-backlog-status", project, rows["backlog"].pk), {"status": "blocked"})  # type: ignore[attr-defined]
    assert "Backlog item Churn features is now Blocked." in _followed(client, response)


def test_a_row_of_another_project_is_not_found(
    client_as: ClientAs, project_lead: User, project: Project, make_user: Callable[..., User]
) -> None:
    other = services.project_create(name="Other project", purpose="Something else entirely.", creator=make_user())
    foreign = {
        "kpi": services.kpi_create(project=other, kind="ml", name="AUC", target=0.7),
        "milestone": services.milestone_create(project=other, title="Demo", target_date=date(2030, 1, 1)),
        "backlog": services.backlog_item_create(project=other, title="Data", profile="ops"),
    }
    client = client_as(project_lead)
    for name, key, data in WRITES:
        assert client.post(_url(name, project, foreign[key].pk), data).status_code == 404, name
    assert ProjectKPI.objects.filter(project=other).count() == 1


def test_the_row_urls_take_posts_only(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    client = client_as(project_lead)
    for name, key, _ in WRITES:
        assert client.get(_url(name, project, rows[key].pk)).status_code == 405, name  # type: ignore[attr-defined]


# --- KPIs --------------------------------------------------------------------------------------------


def test_edit_a_kpi(client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]) -> None:
    kpi = rows["kpi"]
    client = client_as(project_lead)
    data = {"kind": "ml", "name": "Recall at 5%", "target": "0.85", "unit": "", "direction": "higher"}
    response = client.post(_url("project-kpi-edit", project, kpi.pk), {**data, "current_value": "0.82"})  # type: ignore[attr-defined]
    page = _followed(client, response)
    assert "KPI Recall at 5% saved." in page
    assert "Below target" in page
    kpi = ProjectKPI.objects.get(pk=kpi.pk)  # type: ignore[attr-defined]
    assert (kpi.name, kpi.target, kpi.current_value) == ("Recall at 5%", 0.85, 0.82)
    # An empty current value clears the measure.
    response = client.post(_url("project-kpi-edit", project, kpi.pk), {**data, "current_value": ""})
    assert response.status_code == 302
    assert ProjectKPI.objects.get(pk=kpi.pk).current_value is None


def test_a_refused_kpi_edit_shows_the_errors_on_its_form_and_changes_nothing(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    kpi = rows["kpi"]
    client = client_as(project_lead)
    response = client.post(
        _url("project-kpi-edit", project, kpi.pk),  # type: ignore[attr-defined]
        {"kind": "ml", "name": "", "target": "high", "direction": "sideways"},
    )
    assert response.status_code == 400
    html, text = response.content.decode(), _text(response)
    assert "Not saved: correct the fields marked below." in text
    assert "This field is required." in text and "Enter a number." in text and "Select a valid choice." in text
    # The refused row's form comes back open, with what was typed.
    assert re.search(
        r'<details class="page-form" open>\s*<summary[^>]*>Edit<span class="visually-hidden"> KPI Recall', html
    )
    assert f'id="id_kpi{kpi.pk}_target"' in html and 'value="high"' in html  # type: ignore[attr-defined]
    # The service's refusal too: another ML metric already has that name.
    services.kpi_create(project=project, kind="ml", name="Precision", target=0.6)
    response = client.post(
        _url("project-kpi-edit", project, kpi.pk),  # type: ignore[attr-defined]
        {"kind": "ml", "name": "Precision", "target": "0.8", "direction": "higher"},
    )
    assert response.status_code == 400
    assert "already exists" in _text(response)
    assert ProjectKPI.objects.get(pk=kpi.pk).name == "Recall"  # type: ignore[attr-defined]
    _unchanged(rows)


def test_delete_a_kpi(client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-kpi-delete", project, rows["kpi"].pk))  # type: ignore[attr-defined]
    assert "KPI Recall deleted." in _followed(client, response)
    assert not project.kpis.exists()


def test_deleting_a_kpi_after_a_sign_off_invalidates_it_on_the_gate(
    client_as: ClientAs, project_lead: User, project: Project
) -> None:
    complete_checklist(project, Stage.EXPLORATION)
    services.signoff_give(project=project, role=ProjectRole.PROJECT_LEAD, user=project_lead)
    business = project.kpis.get(kind="business")
    client = client_as(project_lead)
    response = client.post(_url("project-kpi-delete", project, business.pk))
    page = _followed(client, response)
    assert f"KPI {business.name} deleted." in page
    sign_off = SignOff.objects.get(project=project)
    assert sign_off.invalidated_at is not None
    assert f"KPI '{business.name}' removed by paula" in sign_off.invalidation_reason
    assert "Invalidated" in page


# --- Milestones --------------------------------------------------------------------------------------


def test_edit_a_milestone_reach_it_and_reopen_it(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    milestone = rows["milestone"]
    url = _url("project-milestone-edit", project, milestone.pk)  # type: ignore[attr-defined]
    client = client_as(project_lead)
    data = {"title": "POC demo to the board", "target_date": "2030-04-01", "description": "With the sales team."}
    response = client.post(url, {**data, "actual_date": "2026-10-30"})
    page = _followed(client, response)
    assert "Milestone POC demo to the board saved, reached on 2026-10-30." in page
    assert "reached 2026-10-30" in page
    milestone = Milestone.objects.get(pk=milestone.pk)  # type: ignore[attr-defined]
    assert (milestone.title, milestone.target_date, milestone.actual_date, milestone.description) == (
        "POC demo to the board",
        date(2030, 4, 1),
        date(2026, 10, 30),
        "With the sales team.",
    )
    # Reached: no "Mark done" any more; an empty actual date reopens it.
    mark_done = _url("project-milestone-done", project, milestone.pk)
    assert mark_done not in client.get(_url("project-detail", project)).content.decode()
    response = client.post(url, {**data, "actual_date": ""})
    page = _followed(client, response)
    assert "Milestone POC demo to the board saved." in page and "Mark done (POC demo to the board)" in page
    assert Milestone.objects.get(pk=milestone.pk).actual_date is None


def test_a_refused_milestone_edit_shows_the_errors(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    url = _url("project-milestone-edit", project, rows["milestone"].pk)  # type: ignore[attr-defined]
    response = client_as(project_lead).post(url, {"title": " ", "target_date": "someday", "actual_date": "2026-13-01"})
    assert response.status_code == 400
    text = _text(response)
    assert "This field is required." in text and text.count("Enter a valid date.") == 2
    _unchanged(rows)


def test_delete_a_milestone(client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-milestone-delete", project, rows["milestone"].pk))  # type: ignore[attr-defined]
    assert "Milestone POC demo deleted." in _followed(client, response)
    assert not project.milestones.exists()


# --- Backlog -----------------------------------------------------------------------------------------


def test_change_the_status_of_a_backlog_item(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    item = rows["backlog"]
    client = client_as(project_lead)
    response = client.post(_url("project-backlog-status", project, item.pk), {"status": "doing"})  # type: ignore[attr-defined]
    assert "Backlog item Churn features is now Doing." in _followed(client, response)
    assert BacklogItem.objects.get(pk=item.pk).status == "doing"  # type: ignore[attr-defined]
    response = client.post(_url("project-backlog-status", project, item.pk), {"status": "finished"})  # type: ignore[attr-defined]
    assert response.status_code == 400
    assert "Select a valid choice. finished is not one of the available choices." in _text(response)
    assert BacklogItem.objects.get(pk=item.pk).status == "doing"  # type: ignore[attr-defined]


def test_edit_a_backlog_item(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    item = rows["backlog"]
    url = _url("project-backlog-edit", project, item.pk)  # type: ignore[attr-defined]
    client = client_as(project_lead)
    data = {"title": "Feature store", "profile": "ml_engineer", "status": "blocked", "description": "Waits for data."}
    assert "Backlog item Feature store saved (Blocked)." in _followed(client, client.post(url, data))
    item = BacklogItem.objects.get(pk=item.pk)  # type: ignore[attr-defined]
    assert (item.title, item.profile, item.status, item.description) == (
        "Feature store",
        "ml_engineer",
        "blocked",
        "Waits for data.",
    )
    response = client.post(url, {"title": "", "profile": "chef", "status": "done"})
    assert response.status_code == 400
    text = _text(response)
    assert "This field is required." in text and "Select a valid choice." in text
    assert BacklogItem.objects.get(pk=item.pk).title == "Feature store"


def test_delete_a_backlog_item(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    client = client_as(project_lead)
    response = client.post(_url("project-backlog-delete", project, rows["backlog"].pk))  # type: ignore[attr-defined]
    assert "Backlog item Churn features deleted." in _followed(client, response)
    assert not project.backlog_items.exists()


# --- A closed project --------------------------------------------------------------------------------


def test_a_closed_project_shows_no_row_form_and_refuses_every_edit(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    services.project_transition(project=project, target_stage=Stage.ABANDONED, actor=project_lead, reason="No data.")
    client = client_as(project_lead)
    text = _text(client.get(_url("project-detail", project)))
    assert "Recall" in text and "Edit KPI Recall" not in text and "Delete KPI Recall" not in text
    for name, key, data in WRITES:
        response = client.post(_url(name, project, rows[key].pk), data)  # type: ignore[attr-defined]
        assert response.status_code == 400, name
        assert "The project is abandoned: its record is closed." in _text(response), name
    _unchanged(rows)
    assert ProjectKPI.objects.count() == Milestone.objects.count() == BacklogItem.objects.count() == 1


# --- Accessibility basics of the project page --------------------------------------------------------


class _Controls(HTMLParser):
    """The form controls of a page, whether each is labelled, and the text of each button."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str, bool]] = []  # (tag, id or name, inside a <label>)
        self.buttons: list[str] = []
        self.ids: set[str] = set()
        self.described_by: set[str] = set()  # ids that aria-describedby attributes point to
        self._labels = 0
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        self.described_by.update(a.get("aria-describedby", "").split())
        if tag == "label":
            self._labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append((tag, a.get("id") or f"name={a.get('name')}", self._labels > 0))
        elif tag in ("button", "summary"):
            self._button = [a.get("aria-label", "")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._labels -= 1
        elif tag in ("button", "summary") and self._button is not None:
            self.buttons.append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


def test_every_control_of_the_project_page_has_a_label_and_every_button_a_text(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    advance_to(project, Stage.INDUSTRIALIZATION)  # the Production gate is next: answers of every kind
    services.milestone_create(
        project=project, title="Reached", target_date=date(2026, 1, 1), actual_date=date(2026, 1, 2)
    )
    parser = _Controls()
    parser.feed(client_as(project_lead).get(_url("project-detail", project)).content.decode())
    assert len(parser.controls) > 40  # every form of the page is there: the check means something
    for answer in ("answer-ci_cd_tests", "answer-approved_model_version", "answer-security_review"):
        assert answer in parser.label_for
    unlabelled = [c for c in parser.controls if not c[2] and c[1] not in parser.label_for]
    assert unlabelled == []
    ids = [c[1] for c in parser.controls if not c[1].startswith("name=")]
    assert len(ids) == len(set(ids)), "ids are unique, so each label points to one control"
    assert all(parser.buttons) and len(parser.buttons) > 20
    # Row buttons say which row they act on.
    for name in ("Edit KPI Recall", "Delete KPI Recall", "Edit milestone Reached", "Delete milestone POC demo"):
        assert name in parser.buttons
    assert "Mark done (POC demo)" in parser.buttons and "Mark done (Reached)" not in parser.buttons
    assert parser.described_by and parser.described_by <= parser.ids  # help texts are found


def test_a_refused_row_form_describes_its_errors_and_takes_the_focus(
    client_as: ClientAs, project_lead: User, project: Project, rows: dict[str, object]
) -> None:
    kpi = rows["kpi"]
    response = client_as(project_lead).post(
        _url("project-kpi-edit", project, kpi.pk),  # type: ignore[attr-defined]
        {"kind": "ml", "name": "Recall", "target": "lots", "direction": "higher"},
    )
    assert response.status_code == 400
    parser = _Controls()
    html = response.content.decode()
    parser.feed(html)
    assert f"id_kpi{kpi.pk}_target_error" in parser.described_by  # type: ignore[attr-defined]
    assert parser.described_by <= parser.ids
    # The first autofocus of the page is the alert of the refused form.
    first = html.index("autofocus")
    assert html.rfind("Not saved: correct the fields marked below.", 0, first + 200) > first
