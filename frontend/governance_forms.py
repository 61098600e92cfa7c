"""Forms of the governance pages (issue 5). They validate what a person typed and say clearly what is
missing; the rules of GDPR themselves (the pre-checks) and every write live in ``governance``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from catalog.models import Column, LegalBasis, PersonalDataClass
from governance.models import Art9Condition, Decision
from projects.models import Project

MAX_TEXT = 5000
DEFAULT_REQUEST_DAYS = 90

PD_CLASS_LABELS = dict(PersonalDataClass.choices)


class ColumnChoiceField(forms.ModelMultipleChoiceField):
    """The dataset's columns, each labelled with its personal-data class."""

    def label_from_instance(self, obj: Column) -> str:  # type: ignore[override]
        label = f"{obj.name} — {PD_CLASS_LABELS.get(obj.personal_data_class, obj.personal_data_class)}"
        return f"{label} (pseudonymised)" if obj.pseudonymised else label


class ColumnCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes carrying each column's class (``data-class``), for the Art. 9(2) field's script."""

    def __init__(self, *args: Any, classes: dict[int, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.classes = classes or {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        pk = getattr(value, "value", value)
        option["attrs"]["data-class"] = self.classes.get(pk, "")
        return option


class AccessRequestForm(forms.Form):
    """An access request of one of the user's projects for some columns of one dataset. Used to file a
    request and, without the project field, to change one the officer sent back."""

    project = forms.ModelChoiceField(
        label="For the project",
        queryset=Project.objects.none(),
        empty_label=None,
        help_text="Only projects you are a member of.",
    )
    columns = ColumnChoiceField(
        label="Columns needed",
        queryset=Column.objects.none(),
        help_text="Tick only what the project needs (data minimisation, Art. 5(1)(c)).",
        error_messages={"required": "Tick at least one column."},
    )
    purpose = forms.CharField(
        label="Purpose",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the data is for: the project's purpose (Art. 5(1)(b)).",
    )
    legal_basis = forms.ChoiceField(
        label="Legal basis (Art. 6)",
        required=False,
        choices=[("", "— None (no personal data requested) —"), *LegalBasis.choices],
    )
    art9_condition = forms.ChoiceField(
        label="Art. 9(2) condition",
        required=False,
        choices=[("", "— None —"), *Art9Condition.choices],
        help_text="Required when special-category columns (Art. 9) are ticked.",
    )
    requested_end = forms.DateField(
        label="Needed until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The grant ends at the latest on this day (storage limitation, Art. 5(1)(e)).",
    )
    justification = forms.CharField(
        label="Justification for direct identifiers",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when direct identifiers in clear are ticked: why the project cannot work without them.",
    )

    def __init__(
        self,
        *args: Any,
        columns: Sequence[Column],
        projects: Iterable[Project] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.column_list = list(columns)
        field = self.fields["columns"]
        field.widget = ColumnCheckboxes(classes={c.pk: c.personal_data_class for c in self.column_list})
        # Setting the queryset gives the (new) widget its choices.
        field.queryset = Column.objects.filter(  # type: ignore[attr-defined]
            pk__in=[c.pk for c in self.column_list]
        ).order_by("position", "name")
        if projects is None:
            del self.fields["project"]
        else:
            project_list = list(projects)
            self.fields["project"].queryset = Project.objects.filter(  # type: ignore[attr-defined]
                pk__in=[p.pk for p in project_list]
            ).order_by("name")
            self.fields["project"].widget.attrs["data-purposes"] = "1"
        if not self.is_bound and "requested_end" not in self.initial:
            self.initial["requested_end"] = timezone.localdate() + timedelta(days=DEFAULT_REQUEST_DAYS)

    def clean_requested_end(self) -> date:
        end: date = self.cleaned_data["requested_end"]
        if end < timezone.localdate():
            raise forms.ValidationError("The date is past: say until when the data is needed.")
        return end

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        columns: list[Column] = list(data.get("columns") or [])
        classes = {c.personal_data_class for c in columns}
        personal = classes - {PersonalDataClass.NONE}
        if personal and not data.get("legal_basis"):
            self.add_error("legal_basis", "Personal data is requested: choose the legal basis (Art. 6(1)).")
        if PersonalDataClass.SPECIAL in classes and not data.get("art9_condition"):
            special = ", ".join(c.name for c in columns if c.personal_data_class == PersonalDataClass.SPECIAL)
            self.add_error(
                "art9_condition", f"Special-category columns ticked ({special}): choose the Art. 9(2) condition."
            )
        direct = [c.name for c in columns if c.personal_data_class == PersonalDataClass.DIRECT and not c.pseudonymised]
        if direct and not (data.get("justification") or "").strip():
            self.add_error(
                "justification", f"Direct identifiers ticked ({', '.join(direct)}): say why the project needs them."
            )
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "columns": list(data["columns"]),
            "purpose": data["purpose"],
            "legal_basis": data.get("legal_basis") or "",
            "art9_condition": data.get("art9_condition") or "",
            "requested_end": data["requested_end"],
            "justification": data.get("justification") or "",
        }


class DecisionForm(forms.Form):
    """The officer's decision on a request: always a reason; conditions for a conditional approval; a
    written override reason to approve despite blocking pre-checks."""

    decision = forms.ChoiceField(label="Decision", choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Every decision has a reason; the requester reads it.",
        error_messages={"required": "Every decision has a reason."},
    )
    expires_on = forms.DateField(
        label="Access until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For an approval: the last day of access. The grant ends at the earliest of this date, the "
        "requested end, the dataset's retention and, in Exploration, the end of Exploration.",
    )
    conditions = forms.CharField(
        label="Conditions",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to approve with conditions.",
    )
    override_reason = forms.CharField(
        label="Override reason",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to approve a request with blocking pre-checks: why they are overridden.",
    )

    def __init__(self, *args: Any, blocking: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocking = blocking

    def clean_expires_on(self) -> date | None:
        day: date | None = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("The expiry date is past.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        approving = decision in (Decision.APPROVE, Decision.APPROVE_WITH_CONDITIONS)
        if decision == Decision.APPROVE_WITH_CONDITIONS and not (data.get("conditions") or "").strip():
            self.add_error("conditions", "Say which conditions the approval comes with.")
        if approving and self.blocking and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason", "Blocking pre-checks: approving needs a written reason for overriding them."
            )
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason for revoking",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the grant is revoked."},
    )


class DeletionCloseForm(forms.Form):
    evidence_text = forms.CharField(
        label="Evidence of deletion",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How, when and what was deleted (e.g. the job, the paths, the backups).",
        error_messages={"required": "Say how and when the data was deleted."},
    )
    evidence_file = forms.FileField(
        label="Evidence file",
        required=False,
        help_text="Optional: a log or a signed statement.",
    )


class AuditFilterForm(forms.Form):
    """Filters of the audit trail page (a GET form: every field optional)."""

    target_type = forms.CharField(label="Object type", required=False, max_length=100)
    target_id = forms.CharField(label="Object id", required=False, max_length=64)
    actor = forms.CharField(label="Actor (username)", required=False, max_length=150)
    action = forms.CharField(label="Action starts with", required=False, max_length=60)

    def filters(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value.strip() for name, value in self.cleaned_data.items() if value and value.strip()}
