"""Derived sensitivity and sanitised Markdown."""

from __future__ import annotations

import pytest

from catalog.models import Dataset, PersonalDataClass
from tests.factories import ColumnFactory, DatasetFactory

pytestmark = pytest.mark.django_db


def test_sensitivity_is_the_highest_column_class() -> None:
    dataset = DatasetFactory()
    ColumnFactory(dataset=dataset, personal_data_class=PersonalDataClass.INDIRECT)
    ColumnFactory(dataset=dataset, personal_data_class=PersonalDataClass.SPECIAL)
    ColumnFactory(dataset=dataset, personal_data_class=PersonalDataClass.NONE)
    assert dataset.sensitivity == PersonalDataClass.SPECIAL
    annotated = Dataset.objects.with_sensitivity().get(pk=dataset.pk)
    assert annotated.sensitivity == PersonalDataClass.SPECIAL
    assert annotated.contains_personal_data


def test_dataset_without_columns_is_not_personal() -> None:
    dataset = DatasetFactory()
    assert Dataset.objects.with_sensitivity().get(pk=dataset.pk).sensitivity == PersonalDataClass.NONE
    assert not dataset.contains_personal_data


def test_sensitivity_at_most_filters_out_more_sensitive_datasets() -> None:
    plain = DatasetFactory()
    ColumnFactory(dataset=plain, personal_data_class=PersonalDataClass.DIRECT)
    health = DatasetFactory()
    ColumnFactory(dataset=health, personal_data_class=PersonalDataClass.SPECIAL)
    found = set(Dataset.objects.with_sensitivity_at_most(PersonalDataClass.DIRECT))
    assert plain in found and health not in found


def test_markdown_is_rendered_and_sanitised() -> None:
    dataset = DatasetFactory(
        description="# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(2)) "
        '<img src=x onerror="alert(3)"> [ok](https://example.com)'
    )
    html = dataset.description_html
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert 'href="https://example.com"' in html
