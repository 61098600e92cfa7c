"""Forms of the project pages. They validate input; the writes go through ``projects.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from projects.models import EvidenceKind

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
