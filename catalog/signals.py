"""Catalog changes mark the affected datasets for search indexing (``catalog.search.sync.mark``).

Thin on purpose: they only say which datasets changed; the outbox row is written in the same
transaction and the indexing task runs after commit, never in the save path.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.models import Column, Dataset, GlossaryTerm, Tag
from catalog.search.sync import mark


@receiver(post_save, sender=Dataset)
@receiver(post_delete, sender=Dataset)
def dataset_changed(sender: type, instance: Dataset, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    mark([instance.pk])


@receiver(post_save, sender=Column)
@receiver(post_delete, sender=Column)
def column_changed(sender: type, instance: Column, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    mark([instance.dataset_id])


@receiver(m2m_changed, sender=Dataset.tags.through)
@receiver(m2m_changed, sender=Dataset.glossary_terms.through)
def dataset_links_changed(sender: type, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Dataset):
        mark([instance.pk])
    elif pk_set:
        mark(pk_set)  # a tag or term whose datasets changed
    else:  # cleared from the tag or term side
        mark(instance.datasets.values_list("pk", flat=True))


@receiver(m2m_changed, sender=Column.glossary_terms.through)
def column_terms_changed(sender: type, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Column):
        mark([instance.dataset_id])
    elif pk_set:
        mark(Column.objects.filter(pk__in=pk_set).values_list("dataset_id", flat=True))
    else:
        mark(instance.columns.values_list("dataset_id", flat=True))


@receiver(post_save, sender=Tag)
def tag_changed(sender: type, instance: Tag, **kwargs: Any) -> None:
    if kwargs.get("raw") or kwargs.get("created"):
        return
    mark(instance.datasets.values_list("pk", flat=True))


@receiver(post_save, sender=GlossaryTerm)
def glossary_term_changed(sender: type, instance: GlossaryTerm, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    from catalog.search.sync import add_vocabulary, glossary_vocabulary

    add_vocabulary(glossary_vocabulary())
    if not kwargs.get("created"):
        mark(
            [
                *instance.datasets.values_list("pk", flat=True),
                *instance.columns.values_list("dataset_id", flat=True),
            ]
        )
