"""Forms of the web interface. They validate input; the writes themselves go through the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings

from catalog.models import DatasetStatus, Domain, PersonalDataClass, Tag, VersionOperation

# "At most this class" filters, phrased as what a person wants to exclude.
SENSITIVITY_FILTER_CHOICES: list[tuple[str, str]] = [
    ("", "Any sensitivity"),
    (PersonalDataClass.NONE, "No personal data"),
    (PersonalDataClass.INDIRECT, "No direct identifiers"),
    (PersonalDataClass.DIRECT, "No special categories"),
    (PersonalDataClass.SPECIAL, "No criminal data"),
]


class DatasetFilterForm(forms.Form):
    """The catalog page's filters (a GET form: every field optional)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, description or column"}),
    )
    domain = forms.ChoiceField(label="Domain", required=False, choices=[("", "All domains"), *Domain.choices])
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *DatasetStatus.choices])
    max_sensitivity = forms.ChoiceField(label="Sensitivity", required=False, choices=SENSITIVITY_FILTER_CHOICES)
    tag = forms.ChoiceField(label="Tag", required=False, choices=[("", "All tags")])

    def __init__(self, *args: Any, tags: Iterable[Tag] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "All tags"), *((t.slug, t.name) for t in tags)]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid value, e.g. an unknown domain in the URL, is ignored)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class VersionUploadForm(forms.Form):
    """A delivered file for a dataset's next version. The file itself is checked by the service."""

    file = forms.FileField(
        label="Data file",
        # Empty files are refused by the ingestion service, with its own explanation.
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ".csv,.tsv,.txt,.parquet"}),
        help_text=f"CSV (UTF-8 or Latin-1; comma, semicolon, tab or pipe delimited) or Parquet, "
        f"up to {settings.UPLOAD_MAX_MB} MB. The first line of a CSV must be the header.",
    )
    operation = forms.ChoiceField(
        label="Operation",
        choices=VersionOperation.choices,
        initial=VersionOperation.APPEND,
        widget=forms.RadioSelect,
        help_text="Append adds these rows to the dataset; overwrite replaces its content.",
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what this delivery contains, why it was sent.",
    )
