"""Catalog domain: datasets, their columns and versions, glossary terms and tags (PRODUCT.md §2).

A dataset's sensitivity is never stored: it is the highest personal-data class of its columns,
computed by ``DatasetQuerySet.with_sensitivity()`` (one aggregate, usable in filters and ordering)
or ``Dataset.sensitivity`` for a single loaded dataset.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Case, IntegerField, Max, Q, When
from django.urls import reverse
from django.utils.functional import cached_property

from catalog.markdown import render_markdown


class Domain(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PAYMENTS = "payments", "Payments"
    CREDIT = "credit", "Credit"
    RISK = "risk", "Risk"
    MARKETING = "marketing", "Marketing"
    HR = "hr", "HR"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    COMPLIANCE = "compliance", "Compliance"


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    DEPRECATED = "deprecated", "Deprecated"


class DataFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"
    TABLE = "table", "Database table"
    JSON = "json", "JSON"
    OTHER = "other", "Other"


class RefreshFrequency(models.TextChoices):
    DAILY = "daily", "Daily batch"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    ON_DEMAND = "on_demand", "On demand"
    STREAMING = "streaming", "Streaming"


class PersonalDataClass(models.TextChoices):
    """GDPR classification of a column, in increasing order of sensitivity."""

    NONE = "none", "Not personal"
    INDIRECT = "indirect", "Indirect identifier"
    DIRECT = "direct", "Direct identifier"
    SPECIAL = "special", "Special category (Art. 9)"
    CRIMINAL = "criminal", "Criminal data (Art. 10)"

    @classmethod
    def rank(cls, value: str) -> int:
        return SENSITIVITY_RANK[value]

    @classmethod
    def from_rank(cls, rank: int | None) -> PersonalDataClass:
        return _RANK_TO_CLASS[rank or 0]


SENSITIVITY_RANK: dict[str, int] = {
    PersonalDataClass.NONE: 0,
    PersonalDataClass.INDIRECT: 1,
    PersonalDataClass.DIRECT: 2,
    PersonalDataClass.SPECIAL: 3,
    PersonalDataClass.CRIMINAL: 4,
}
_RANK_TO_CLASS = {rank: PersonalDataClass(value) for value, rank in SENSITIVITY_RANK.items()}


class LegalBasis(models.TextChoices):
    """GDPR Art. 6(1) legal bases."""

    CONSENT = "consent", "Consent (Art. 6(1)(a))"
    CONTRACT = "contract", "Contract (Art. 6(1)(b))"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (Art. 6(1)(c))"
    VITAL_INTERESTS = "vital_interests", "Vital interests (Art. 6(1)(d))"
    PUBLIC_TASK = "public_task", "Public task (Art. 6(1)(e))"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests (Art. 6(1)(f))"


class DataSubjectCategory(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    PROSPECTS = "prospects", "Prospects"
    EMPLOYEES = "employees", "Employees"
    CANDIDATES = "candidates", "Job candidates"
    SUPPLIERS = "suppliers", "Suppliers' contacts"
    BENEFICIARIES = "beneficiaries", "Beneficiaries"
    GUARANTORS = "guarantors", "Guarantors"
    VISITORS = "visitors", "Website visitors"


class PersonalDataCategory(models.TextChoices):
    IDENTITY = "identity", "Identity"
    CONTACT = "contact", "Contact details"
    IDENTIFICATION_NUMBER = "identification_number", "National identification number"
    FINANCIAL = "financial", "Financial and banking"
    TRANSACTIONS = "transactions", "Transactions"
    PROFESSIONAL = "professional", "Professional life"
    LOCATION = "location", "Location"
    ONLINE = "online", "Online identifiers and behaviour"
    HEALTH = "health", "Health (Art. 9)"
    BIOMETRIC = "biometric", "Biometric (Art. 9)"
    UNION_MEMBERSHIP = "union_membership", "Trade-union membership (Art. 9)"
    CRIMINAL = "criminal", "Criminal convictions and offences (Art. 10)"


class ColumnType(models.TextChoices):
    STRING = "string", "Text"
    INTEGER = "integer", "Integer"
    FLOAT = "float", "Decimal number"
    BOOLEAN = "boolean", "Boolean"
    DATE = "date", "Date"
    DATETIME = "datetime", "Date and time"
    BINARY = "binary", "Binary"
    OTHER = "other", "Other"


class VersionOperation(models.TextChoices):
    APPEND = "append", "Append"
    OVERWRITE = "overwrite", "Overwrite"


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Tag(TimeStampedModel):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GlossaryTerm(TimeStampedModel):
    """A business concept with French and English labels, synonyms and a place in a hierarchy."""

    slug = models.SlugField(max_length=100, unique=True)
    label_en = models.CharField("English label", max_length=150, unique=True)
    label_fr = models.CharField("French label", max_length=150, unique=True)
    synonyms_en = models.JSONField("English synonyms", default=list, blank=True)
    synonyms_fr = models.JSONField("French synonyms", default=list, blank=True)
    definition = models.TextField(blank=True)
    broader = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="narrower")

    class Meta:
        ordering = ["label_en"]

    def __str__(self) -> str:
        return f"{self.label_en} / {self.label_fr}"

    def get_absolute_url(self) -> str:
        return reverse("frontend:glossary-detail", args=[self.slug])


class DatasetQuerySet(models.QuerySet["Dataset"]):
    def with_sensitivity(self) -> DatasetQuerySet:
        """Annotate ``sensitivity_rank``: the highest personal-data class rank over the columns."""
        rank = Case(
            *[When(columns__personal_data_class=value, then=r) for value, r in SENSITIVITY_RANK.items()],
            default=0,
            output_field=IntegerField(),
        )
        return self.annotate(sensitivity_rank=Max(rank))

    def with_sensitivity_at_most(self, value: str) -> DatasetQuerySet:
        """Datasets none of whose columns is more sensitive than ``value``."""
        more_sensitive = [c for c, r in SENSITIVITY_RANK.items() if r > SENSITIVITY_RANK[value]]
        return self.exclude(columns__personal_data_class__in=more_sensitive)

    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> DatasetQuerySet:
        """Datasets ``user`` may edit: any for admins, their own (owner, steward, custodian) for custodians."""
        from catalog.roles import Role, has_role

        if not user.is_authenticated or not user.has_perm("catalog.change_dataset"):
            return self.none()
        if has_role(user, Role.ADMIN):
            return self
        return self.filter(Q(owner=user) | Q(steward=user) | Q(custodian=user))


class Dataset(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True, help_text="Markdown. Rendered sanitised.")
    domain = models.CharField(max_length=32, choices=Domain.choices)
    source_system = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=500, blank=True, help_text="URI: file path, s3://, postgresql://...")
    format = models.CharField(max_length=16, choices=DataFormat.choices, default=DataFormat.CSV)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_datasets")
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stewarded_datasets",
    )
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="custodied_datasets",
        help_text="Delivers versions and confirms deletions.",
    )
    refresh_frequency = models.CharField(
        max_length=16, choices=RefreshFrequency.choices, default=RefreshFrequency.DAILY
    )
    status = models.CharField(max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT)
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    glossary_terms = models.ManyToManyField(GlossaryTerm, blank=True, related_name="datasets")

    # GDPR profile: declared fields. Whether it holds personal data, and how sensitive, comes
    # from the columns.
    data_subject_categories = models.JSONField(default=list, blank=True)
    personal_data_categories = models.JSONField(default=list, blank=True)
    collection_purpose = models.TextField(blank=True)
    collection_legal_basis = models.CharField(max_length=32, choices=LegalBasis.choices, blank=True)
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long the data may be kept, in days."
    )
    storage_location = models.CharField(max_length=200, blank=True)
    transfers_outside_eu = models.BooleanField(default=False)
    transfer_safeguards = models.CharField(max_length=255, blank=True)
    security_measures = models.TextField(blank=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("frontend:dataset-detail", args=[self.slug])

    @property
    def description_html(self) -> str:
        return render_markdown(self.description)

    @cached_property
    def sensitivity(self) -> PersonalDataClass:
        """Highest personal-data class of the columns (uses the annotation when present)."""
        rank = getattr(self, "sensitivity_rank", None)
        if rank is None:
            rank = max(
                (SENSITIVITY_RANK[c.personal_data_class] for c in self.columns.all()),
                default=0,
            )
        return PersonalDataClass.from_rank(rank)

    @property
    def contains_personal_data(self) -> bool:
        return self.sensitivity != PersonalDataClass.NONE


class Column(TimeStampedModel):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    data_type = models.CharField(max_length=16, choices=ColumnType.choices, default=ColumnType.STRING)
    description = models.TextField(blank=True)
    personal_data_class = models.CharField(
        max_length=16, choices=PersonalDataClass.choices, default=PersonalDataClass.NONE
    )
    pseudonymised = models.BooleanField(default=False)
    glossary_terms = models.ManyToManyField(GlossaryTerm, blank=True, related_name="columns")

    class Meta:
        ordering = ["dataset", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="column_unique_name_per_dataset"),
        ]
        indexes = [models.Index(fields=["personal_data_class"])]

    def __str__(self) -> str:
        return f"{self.dataset.name}.{self.name}"

    @property
    def is_personal(self) -> bool:
        return self.personal_data_class != PersonalDataClass.NONE


def version_upload_path(instance: DatasetVersion, filename: str) -> str:
    return f"datasets/{instance.dataset.slug}/v{instance.number}/{filename}"


class DatasetVersion(models.Model):
    """One delivered batch of a dataset, like an entry in a table's history."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delivered_versions",
    )
    operation = models.CharField(max_length=16, choices=VersionOperation.choices)
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    schema = models.JSONField(default=list, help_text='[{"name": ..., "type": ...}, ...] in file order')
    schema_fingerprint = models.CharField(max_length=64)
    schema_diff = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to=version_upload_path, max_length=500, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    file_format = models.CharField(max_length=16, choices=DataFormat.choices, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="version_unique_number_per_dataset"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("frontend:version-detail", args=[self.dataset.slug, self.number])

    @property
    def schema_changed(self) -> bool:
        diff = self.schema_diff or {}
        return bool(diff.get("added") or diff.get("removed") or diff.get("type_changed"))


# --- Search index (kept by catalog.search.sync; read by the database search backend) ---------------


class SearchDocument(models.Model):
    """A dataset's search document, as indexed. The database backend searches these rows
    (PostgreSQL: a weighted ``tsvector`` column; SQLite: an FTS5 table kept by triggers, both
    created by migration 0004); the Elasticsearch backend indexes the same ``document``."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    name_folded = models.CharField(max_length=200, db_index=True)
    status = models.CharField(max_length=16)
    ranking_boost = models.FloatField(default=1.0, help_text="Status and project-usage factor of the score.")
    text_name = models.TextField(blank=True)
    text_concepts = models.TextField(blank=True)
    text_columns = models.TextField(blank=True)
    text_body = models.TextField(blank=True)
    document = models.JSONField()
    source_hash = models.CharField(max_length=40)
    indexed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"search document of dataset {self.dataset_id}"


class SearchFacet(models.Model):
    """One facet value of a search document (a document has one row per tag, concept...)."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facets")
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["facet", "value"])]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"


class SearchVocabulary(models.Model):
    """Every word indexed or named by the glossary: what typo tolerance corrects towards."""

    word = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.word


class SearchSyncItem(models.Model):
    """Outbox: a dataset whose search document must be (re)built or removed.

    Written in the same transaction as the change, so nothing is lost if the task cannot be
    queued or Elasticsearch is down; removed once both stores have the change.
    """

    dataset_id = models.BigIntegerField(unique=True)
    queued_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["queued_at"]

    def __str__(self) -> str:
        return f"sync dataset {self.dataset_id}"


# --- Profiling, quality, drift and personal-data detection (catalog.profiling) ------------------


def profile_report_path(instance: VersionProfile, filename: str) -> str:
    version = instance.version
    return f"profiles/{version.dataset.slug}/v{version.number}/{filename}"


class ProfileStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (no file)"


class VersionProfile(models.Model):
    """Per-column statistics of one version (``columns``: a list of dicts, see
    ``catalog.profiling.stats``) and its ydata-profiling HTML report built on a bounded sample.
    Personal columns hold aggregates only: no values of them are stored, here or in the report."""

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="profile")
    status = models.CharField(max_length=16, choices=ProfileStatus.choices, default=ProfileStatus.PENDING)
    error = models.TextField(blank=True)
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    columns = models.JSONField(default=list, blank=True)
    personal_columns = models.JSONField(default=list, blank=True)
    report = models.FileField(upload_to=profile_report_path, max_length=500, blank=True)
    sample_size = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.version} ({self.status})"

    def column(self, name: str) -> dict | None:  # type: ignore[type-arg]
        return next((c for c in self.columns if c.get("name") == name), None)


class ExpectationKind(models.TextChoices):
    ROW_COUNT = "row_count", "Row count band"
    NOT_NULL = "not_null", "Not-null ratio"
    RANGE = "range", "Value range"
    CATEGORIES = "categories", "Allowed categories"
    UNIQUE = "unique", "Unique values"


class ExpectationStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class QualityExpectation(TimeStampedModel):
    """A rule every new version of a dataset is checked against, once its owner accepted it.
    ``column`` is blank for dataset-level rules (row count)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="expectations")
    column = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=ExpectationKind.choices)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ExpectationStatus.choices, default=ExpectationStatus.SUGGESTED)
    suggested_from = models.ForeignKey(
        DatasetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggested_expectations"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset", "column", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "column", "kind"], name="expectation_unique_per_column_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name}.{self.column or '*'} {self.kind} ({self.status})"


class QualityResult(models.Model):
    """The outcome of one accepted expectation on one version (``observed``: aggregates only)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="quality_results")
    expectation = models.ForeignKey(QualityExpectation, on_delete=models.CASCADE, related_name="results")
    passed = models.BooleanField()
    observed = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "expectation__column", "expectation__kind"]
        constraints = [
            models.UniqueConstraint(fields=["version", "expectation"], name="quality_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.expectation} on v{self.version.number}: {'passed' if self.passed else 'failed'}"


class DriftReport(models.Model):
    """Drift of a version against the previous one, per column (``columns``: PSI, test,
    statistic, p-value, effect, drifted and, for non-personal columns, an SVG plot)."""

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="drift_report")
    previous = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=list, blank=True)
    drifted_columns = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"drift of {self.version} vs v{self.previous.number}"


class SuggestionStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class ColumnClassSuggestion(TimeStampedModel):
    """A personal-data class suggested for a column by the detector, never applied until a
    custodian or governance officer confirms it (``evidence``: name hint and share of matching
    values, never the values)."""

    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="class_suggestions")
    version = models.ForeignKey(
        DatasetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="class_suggestions"
    )
    kind = models.CharField(max_length=32)
    suggested_class = models.CharField(max_length=16, choices=PersonalDataClass.choices)
    confidence = models.FloatField()
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["column__dataset", "column__position", "-confidence"]
        constraints = [
            models.UniqueConstraint(fields=["column", "kind"], name="class_suggestion_unique_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.column}: {self.kind} → {self.suggested_class} ({self.status})"
