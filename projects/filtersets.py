"""django-filter FilterSets of the projects lists (API, and the pages that want the same filters)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from projects.models import (
    BacklogItem,
    BacklogProfile,
    BacklogStatus,
    GateChecklistTemplate,
    Membership,
    Project,
    ProjectRole,
    Stage,
)


class ProjectFilterSet(filters.FilterSet):
    stage = filters.MultipleChoiceFilter(choices=Stage.choices, help_text="One or more stages.")
    stale = filters.BooleanFilter(field_name="is_stale", help_text="Stale POCs only (or none).")
    lead = filters.CharFilter(method="filter_lead", help_text="Username of an active project lead.")
    member = filters.CharFilter(method="filter_member", help_text="Username of an active member (any role).")
    mine = filters.BooleanFilter(method="filter_mine", help_text="Projects you are an active member of.")
    q = filters.CharFilter(method="filter_q", help_text="Substring of the name or purpose.")

    class Meta:
        model = Project
        fields: list[str] = []

    def _with_member(self, queryset: QuerySet[Project], username: str, role: str | None = None) -> QuerySet[Project]:
        memberships = Membership.objects.active().filter(user__username=username)
        if role:
            memberships = memberships.filter(role=role)
        return queryset.filter(pk__in=memberships.values("project_id"))

    def filter_lead(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return self._with_member(queryset, value, ProjectRole.PROJECT_LEAD)

    def filter_member(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return self._with_member(queryset, value)

    def filter_mine(self, queryset: QuerySet[Project], name: str, value: bool) -> QuerySet[Project]:
        user = self.request.user if self.request is not None else None
        if user is None or not user.is_authenticated:
            return queryset.none() if value else queryset
        mine = Membership.objects.active().filter(user=user).values("project_id")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)

    def filter_q(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.filter(Q(name__icontains=value) | Q(purpose__icontains=value))


class BacklogItemFilterSet(filters.FilterSet):
    profile = filters.ChoiceFilter(choices=BacklogProfile.choices)
    status = filters.ChoiceFilter(choices=BacklogStatus.choices)

    class Meta:
        model = BacklogItem
        fields: list[str] = []


class GateTemplateFilterSet(filters.FilterSet):
    gate = filters.ChoiceFilter(choices=Stage.choices, help_text="The stage the gate leads into.")
    current = filters.BooleanFilter(field_name="is_current", help_text="Only the current version of each gate.")

    class Meta:
        model = GateChecklistTemplate
        fields: list[str] = []
