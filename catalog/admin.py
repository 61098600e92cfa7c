"""Back office for the catalog. Saves go through the services, like every other write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from catalog import services
from catalog.models import (
    Column,
    ColumnClassSuggestion,
    Dataset,
    DatasetVersion,
    DriftReport,
    GlossaryTerm,
    QualityExpectation,
    QualityResult,
    Tag,
    VersionProfile,
)


class ColumnInline(admin.TabularInline):
    model = Column
    extra = 0
    fields = ["position", "name", "data_type", "personal_data_class", "pseudonymised", "description"]
    show_change_link = True


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "status", "format", "owner", "updated_at"]
    list_filter = ["domain", "status", "format", "refresh_frequency", "transfers_outside_eu"]
    search_fields = ["name", "description", "source_system", "columns__name"]
    exclude = ["slug"]
    autocomplete_fields = ["owner", "steward", "custodian"]
    filter_horizontal = ["tags", "glossary_terms"]
    inlines = [ColumnInline]
    readonly_fields = ["sensitivity_display", "created_at", "updated_at"]

    @admin.display(description="Sensitivity (derived from columns)")
    def sensitivity_display(self, obj: Dataset) -> str:
        return obj.sensitivity.label if obj.pk else "-"

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in services.DATASET_FIELDS if name in form.cleaned_data}
        if change:
            services.dataset_update(dataset=obj, data=fields)
        else:
            created = services.dataset_create(**fields)
            obj.pk, obj.slug = created.pk, created.slug
            obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        services.dataset_update(
            dataset=form.instance,
            data={},
            tags=form.cleaned_data.get("tags", []),
            glossary_terms=form.cleaned_data.get("glossary_terms", []),
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.is_valid():
                continue
            data = {k: v for k, v in inline_form.cleaned_data.items() if k in services.COLUMN_FIELDS}
            column = inline_form.instance
            if inline_form.cleaned_data.get("DELETE") and column.pk:
                column.delete()
            elif column.pk:
                services.column_update(column=column, data=data)
            else:
                services.column_create(dataset=form.instance, **data)


@admin.register(Column)
class ColumnAdmin(admin.ModelAdmin):
    list_display = ["name", "dataset", "data_type", "personal_data_class", "pseudonymised"]
    list_filter = ["personal_data_class", "data_type", "pseudonymised", "dataset__domain"]
    search_fields = ["name", "description", "dataset__name"]
    list_select_related = ["dataset"]
    autocomplete_fields = ["dataset"]
    filter_horizontal = ["glossary_terms"]

    def save_model(self, request: HttpRequest, obj: Column, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.COLUMN_FIELDS}
        if change:
            services.column_update(column=obj, data=data)
        else:
            created = services.column_create(dataset=form.cleaned_data["dataset"], **data)
            obj.pk = created.pk
            obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        services.column_update(
            column=form.instance, data={}, glossary_terms=form.cleaned_data.get("glossary_terms", [])
        )


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    """Versions are history: registered by upload (services), read-only here."""

    list_display = ["dataset", "number", "received_at", "operation", "row_count", "delivered_by"]
    list_filter = ["operation", "file_format"]
    search_fields = ["dataset__name"]
    list_select_related = ["dataset", "delivered_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: DatasetVersion | None = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["label_en", "label_fr", "broader"]
    search_fields = ["label_en", "label_fr", "definition"]
    prepopulated_fields = {"slug": ["label_en"]}
    autocomplete_fields = ["broader"]

    def save_model(self, request: HttpRequest, obj: GlossaryTerm, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.GLOSSARY_FIELDS}
        if change:
            services.glossary_term_update(term=obj, data=data)
        else:
            created = services.glossary_term_create(**data)
            obj.pk = created.pk
            obj._state.adding = False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name"]
    exclude = ["slug"]

    def save_model(self, request: HttpRequest, obj: Tag, form: Any, change: bool) -> None:
        if change:
            services.tag_update(
                tag=obj, data={"name": form.cleaned_data["name"], "description": form.cleaned_data["description"]}
            )
        else:
            created = services.tag_create(name=form.cleaned_data["name"], description=form.cleaned_data["description"])
            obj.pk, obj.slug = created.pk, created.slug
            obj._state.adding = False


# --- Profiling, quality, drift and class suggestions: read-only here; decisions are taken on the
# dataset page or through the API (catalog.profiling.services), computations by the workers. ------


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VersionProfile)
class VersionProfileAdmin(_ReadOnlyAdmin):
    list_display = ["version", "status", "row_count", "sample_size", "finished_at"]
    list_filter = ["status"]
    search_fields = ["version__dataset__name"]


@admin.register(QualityExpectation)
class QualityExpectationAdmin(_ReadOnlyAdmin):
    list_display = ["dataset", "column", "kind", "status", "decided_by", "decided_at"]
    list_filter = ["kind", "status"]
    search_fields = ["dataset__name", "column"]


@admin.register(QualityResult)
class QualityResultAdmin(_ReadOnlyAdmin):
    list_display = ["version", "expectation", "passed", "checked_at"]
    list_filter = ["passed"]


@admin.register(DriftReport)
class DriftReportAdmin(_ReadOnlyAdmin):
    list_display = ["version", "previous", "drifted_columns", "computed_at"]


@admin.register(ColumnClassSuggestion)
class ColumnClassSuggestionAdmin(_ReadOnlyAdmin):
    list_display = ["column", "kind", "suggested_class", "confidence", "status", "decided_by"]
    list_filter = ["kind", "status", "suggested_class"]
    search_fields = ["column__name", "column__dataset__name"]
