"""Who may do what through the catalog API, in one place.

- Reads: any authenticated user.
- Writes: the Django model permissions of the user's role (``catalog.roles.ROLE_PERMISSIONS``):
  custodians add and change datasets, columns, versions, glossary terms and tags; governance
  officers change columns (classification), glossary terms and tags; admins everything.
- Object level: a write to a dataset, or to its columns and versions, is allowed only on datasets
  ``Dataset.objects.editable_by(user)`` (owner, steward or custodian; admins any). Governance
  officers may classify any column (personal-data class, pseudonymisation, glossary terms) but
  change nothing else on datasets they do not manage.

``CatalogViewSet`` (views.py) applies the model permission and the write scope functions below.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions
from rest_framework.request import Request

from catalog.models import Column, Dataset, DatasetQuerySet
from catalog.roles import Role, has_role

User = AbstractBaseUser | AnonymousUser

# Column fields a governance officer may change on a dataset they do not manage.
CLASSIFICATION_FIELDS = frozenset({"personal_data_class", "pseudonymised", "glossary_terms"})


class CatalogModelPermissions(DjangoModelPermissions):
    """Authenticated users read; writes need the model's ``add_`` (POST) or ``change_`` (PUT, PATCH)
    permission. DELETE needs ``delete_``, which no catalog endpoint offers."""


class ColumnClassificationOnly(BasePermission):
    """On a column of a dataset the user may not edit, only the classification fields may change.

    This is how governance officers confirm personal-data classes without editing datasets.
    """

    message = (
        "You can only change the classification of this column (personal_data_class, pseudonymised, glossary_terms)."
    )

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS or not isinstance(obj, Column):
            return True
        if Dataset.objects.editable_by(request.user).filter(pk=obj.dataset_id).exists():
            return True
        return set(request.data) <= CLASSIFICATION_FIELDS


# --- Write scopes: the objects a user may change, applied by CatalogViewSet to unsafe methods ---------


def datasets_writable_by(user: User, queryset: DatasetQuerySet) -> DatasetQuerySet:
    return queryset.editable_by(user)


def columns_writable_by(user: User, queryset: QuerySet[Column]) -> QuerySet[Column]:
    if has_role(user, Role.GOVERNANCE_OFFICER) and user.has_perm("catalog.change_column"):
        return queryset  # classification of any column; ColumnClassificationOnly limits the fields
    return queryset.filter(dataset__in=Dataset.objects.editable_by(user).values("pk"))


def everything(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """No object restriction beyond the model permission (glossary terms, tags)."""
    return queryset


def check_dataset_writable(user: User, dataset: Dataset) -> None:
    """Refuse (403) adding columns or versions to a dataset the user may not edit."""
    if not Dataset.objects.editable_by(user).filter(pk=dataset.pk).exists():
        raise exceptions.PermissionDenied("You can only change datasets you own, steward or look after as custodian.")


# --- Profiling: who decides on quality expectations and personal-data class suggestions ------------


def may_decide_expectations(user: User, dataset: Dataset) -> bool:
    """The dataset's owner, steward or custodian (admins any) accept, edit or reject expectations."""
    return Dataset.objects.editable_by(user).filter(pk=dataset.pk).exists()


def may_decide_suggestions(user: User, dataset: Dataset) -> bool:
    """The dataset's custodians (owner, steward, custodian; admins) or a governance officer confirm
    or reject a suggested personal-data class."""
    if has_role(user, Role.GOVERNANCE_OFFICER) and user.has_perm("catalog.change_column"):
        return True
    return may_decide_expectations(user, dataset)


class DecidesExpectations(BasePermission):
    """Reads for any authenticated user; decisions on an expectation for its dataset's managers."""

    message = "Only the dataset's owner, steward or custodian may decide on its quality expectations."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or may_decide_expectations(request.user, obj.dataset)


class DecidesClassSuggestions(BasePermission):
    """Reads for any authenticated user; confirm or reject for custodians of the dataset or officers."""

    message = "Only the dataset's custodians or a governance officer may confirm or reject a suggested class."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or may_decide_suggestions(request.user, obj.column.dataset)
