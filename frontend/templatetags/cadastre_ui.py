"""Badges and labels shared by the pages: ``{% load cadastre_ui %}``.

Every badge carries its meaning in text, never in colour alone; the colour (a CSS class per
value) only helps scanning a long table.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.db.models import TextChoices
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalog.models import (
    ColumnType,
    DatasetStatus,
    DataSubjectCategory,
    PersonalDataCategory,
    PersonalDataClass,
    VersionOperation,
)

register = template.Library()

# Short labels for a dataset's overall sensitivity (its most sensitive column).
SENSITIVITY_SHORT_LABELS: dict[str, str] = {
    PersonalDataClass.NONE: "Not personal",
    PersonalDataClass.INDIRECT: "Indirect",
    PersonalDataClass.DIRECT: "Direct",
    PersonalDataClass.SPECIAL: "Special category (Art. 9)",
    PersonalDataClass.CRIMINAL: "Criminal (Art. 10)",
}


def _choice_label(choices: type[TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.simple_tag
def sensitivity_badge(value: str, *, short: bool = True) -> SafeString:
    """A dataset's sensitivity (short label) or a column's personal-data class (full label)."""
    value = str(value or PersonalDataClass.NONE)
    label = SENSITIVITY_SHORT_LABELS.get(value, value) if short else _choice_label(PersonalDataClass, value)
    full = _choice_label(PersonalDataClass, value)
    return format_html(
        '<span class="badge badge-pd badge-pd-{}" title="Personal data: {}">{}</span>',
        value,
        full,
        label,
    )


@register.simple_tag
def pd_class_badge(value: str) -> SafeString:
    """A column's personal-data class with its full label."""
    return sensitivity_badge(value, short=False)


@register.simple_tag
def status_badge(value: str) -> SafeString:
    return format_html(
        '<span class="badge badge-status badge-status-{}">{}</span>', value, _choice_label(DatasetStatus, value)
    )


@register.filter
def column_type_label(value: str) -> str:
    return _choice_label(ColumnType, value)


@register.filter
def operation_label(value: str) -> str:
    return _choice_label(VersionOperation, value)


@register.filter
def subject_labels(values: Iterable[str] | None) -> list[str]:
    """Labels of a dataset's declared data-subject categories."""
    return [_choice_label(DataSubjectCategory, v) for v in values or []]


@register.filter
def data_category_labels(values: Iterable[str] | None) -> list[str]:
    """Labels of a dataset's declared personal-data categories."""
    return [_choice_label(PersonalDataCategory, v) for v in values or []]


@register.filter
def retention(days: int | None) -> str:
    """``365`` → "365 days (about 1 year)"."""
    if days is None:
        return "Not declared"
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 730:
        months = round(days / 30.44)
        return f"{days} days (about {months} months)"
    years = round(days / 365.25, 1)
    shown = f"{years:g}"
    return f"{days} days (about {shown} years)"


@register.filter
def short_hash(value: str | None, length: int = 12) -> str:
    return (value or "")[:length]


@register.filter
def filesize_or_dash(value: int | None) -> str:
    return "—" if value is None else str(filesizeformat(value))


DELIMITER_LABELS: dict[str, str] = {",": "Comma (,)", ";": "Semicolon (;)", "\t": "Tab", "|": "Pipe (|)"}


@register.filter
def delimiter_label(value: str) -> str:
    return DELIMITER_LABELS.get(value, value)
