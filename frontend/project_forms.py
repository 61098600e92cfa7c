"""Forms of the project pages. They validate input; the writes go through ``projects.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from projects import risk
from projects.models import (
    BacklogItem,
    BacklogProfile,
    BacklogStatus,
    EvidenceKind,
    KPIDirection,
    KPIKind,
    Milestone,
    ProjectKPI,
    ProjectRole,
)

RATING_CHOICES = [("", "Not rated"), *((str(n), str(n)) for n in range(1, 6))]


class ProjectCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    purpose = forms.CharField(
        label="Purpose",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the project is for, as the GDPR purpose of its processing.",
    )
    description = forms.CharField(
        label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    business_owner = forms.ModelChoiceField(
        label="Business owner",
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label="Not chosen yet",
        help_text="The person accountable for the business value.",
    )
    processes_personal_data = forms.BooleanField(label="The project processes personal data", required=False)
    value_rating = forms.TypedChoiceField(
        label="Value", required=False, choices=RATING_CHOICES, coerce=int, empty_value=None, help_text="1 (low) to 5."
    )
    risk_rating = forms.TypedChoiceField(
        label="Risk", required=False, choices=RATING_CHOICES, coerce=int, empty_value=None, help_text="1 (low) to 5."
    )
    feasibility_rating = forms.TypedChoiceField(
        label="Feasibility",
        required=False,
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        help_text="1 (hard) to 5 (easy).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        field = self.fields["business_owner"]
        field.queryset = users  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[attr-defined]


class GateAnswerForm(forms.Form):
    """One answer to a checklist item; which value field counts depends on the item's evidence kind."""

    value_text = forms.CharField(
        label="Answer", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    value_url = forms.CharField(label="Link", required=False, max_length=500)
    value_bool = forms.TypedChoiceField(
        label="Answer",
        required=False,
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    evidence_file = forms.FileField(label="Evidence file", required=False)
    comment = forms.CharField(label="Comment", required=False, max_length=2000)

    def service_values(self, kind: str) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {"comment": data.get("comment") or ""}
        if kind == EvidenceKind.TEXT:
            values["value_text"] = data.get("value_text") or ""
        elif kind == EvidenceKind.LINK:
            values["value_url"] = data.get("value_url") or ""
        elif kind == EvidenceKind.YES_NO:
            values["value_bool"] = data.get("value_bool")
        elif kind == EvidenceKind.FILE:
            values["evidence_file"] = data.get("evidence_file")
        return values


# --- Forms of the project page (team, KPIs, details, risk, roadmap, backlog, models) ---------------


def _user_choices_field(**kwargs: Any) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username"),
        **kwargs,
    )
    field.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign]
    return field


class MembershipAddForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    role = forms.ChoiceField(label="Role", choices=ProjectRole.choices)
    started_on = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: from today.",
    )

    def clean_username(self) -> Any:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"There is no user named {username}.")
        return user


class MembershipEndForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=500)


class KPIForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=KPIKind.choices)
    name = forms.CharField(label="Name", max_length=200)
    target = forms.FloatField(label="Target")
    unit = forms.CharField(label="Unit", required=False, max_length=32)
    direction = forms.ChoiceField(label="Direction", choices=KPIDirection.choices)


class ProjectDetailsForm(forms.Form):
    """The business owner and the ratings of a project (``services.project_update``)."""

    business_owner = forms.ModelChoiceField(
        label="Business owner", required=False, queryset=get_user_model().objects.none(), empty_label="Not chosen"
    )
    value_rating = ProjectCreateForm.base_fields["value_rating"]
    risk_rating = ProjectCreateForm.base_fields["risk_rating"]
    feasibility_rating = ProjectCreateForm.base_fields["feasibility_rating"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_owner"] = _user_choices_field(
            label="Business owner", required=False, empty_label="Not chosen"
        )


YES_NO = [("yes", "Yes"), ("no", "No")]


class RiskScreeningForm(forms.Form):
    """The questionnaire of ``projects.risk``: one yes/no question per field, named by its key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in risk.QUESTIONS:
            self.fields[question.key] = forms.TypedChoiceField(
                label=question.text,
                choices=YES_NO,
                coerce=lambda v: v == "yes",
                widget=forms.RadioSelect,
                help_text=f"{question.help} ({question.reference})" if question.help else question.reference,
                error_messages={"required": "Answer yes or no."},
            )
        self.fields["comment"] = forms.CharField(
            label="Screening comment", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
        )

    def answers(self) -> dict[str, bool]:
        return {q.key: self.cleaned_data[q.key] for q in risk.QUESTIONS}


class MilestoneForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    target_date = forms.DateField(label="Target date", widget=forms.DateInput(attrs={"type": "date"}))


class MilestoneDoneForm(forms.Form):
    actual_date = forms.DateField(label="Reached on", widget=forms.DateInput(attrs={"type": "date"}))


class BacklogItemForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    profile = forms.ChoiceField(label="Profile", choices=BacklogProfile.choices)


class ModelLinkForm(forms.Form):
    registered_model_name = forms.CharField(label="Registered model name", max_length=256)


# --- Editing a row of the project page (a KPI, a milestone, a backlog item) ------------------------------


class KPIEditForm(KPIForm):
    current_value = forms.FloatField(label="Current value", required=False, help_text="Empty until measured.")

    @staticmethod
    def initial_from(kpi: ProjectKPI) -> dict[str, Any]:
        return {
            "kind": kpi.kind,
            "name": kpi.name,
            "target": kpi.target,
            "unit": kpi.unit,
            "direction": kpi.direction,
            "current_value": kpi.current_value,
        }


class MilestoneEditForm(MilestoneForm):
    actual_date = forms.DateField(
        label="Reached on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty until the milestone is reached.",
    )
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    @staticmethod
    def initial_from(milestone: Milestone) -> dict[str, Any]:
        return {
            "title": milestone.title,
            "target_date": milestone.target_date,
            "actual_date": milestone.actual_date,
            "description": milestone.description,
        }


class BacklogItemEditForm(BacklogItemForm):
    status = forms.ChoiceField(label="Status", choices=BacklogStatus.choices)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    @staticmethod
    def initial_from(item: BacklogItem) -> dict[str, Any]:
        return {"title": item.title, "profile": item.profile, "status": item.status, "description": item.description}


class BacklogStatusForm(forms.Form):
    """The quick status change of a backlog item, from its line on the page."""

    status = forms.ChoiceField(label="Status", choices=BacklogStatus.choices)
