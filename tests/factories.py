"""factory_boy factories for the whole suite. Factories build through the models; tests that
exercise a write path call the services instead."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog.ingest import schema_fingerprint
from catalog.models import (
    Column,
    ColumnType,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Domain,
    GlossaryTerm,
    PersonalDataClass,
    Tag,
    VersionOperation,
)
from catalog.roles import Role, group_name
from projects import risk
from projects.models import (
    BacklogItem,
    Membership,
    Milestone,
    ModelLink,
    Project,
    ProjectKPI,
    RiskScreening,
    Stage,
    write_stage_unchecked,
)

PASSWORD = "cadastre-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        if not create:
            return
        self.save()
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=group_name(role)))
            if role == Role.ADMIN:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))


class GlossaryTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GlossaryTerm

    label_en = factory.Sequence(lambda n: f"Concept {n}")
    label_fr = factory.Sequence(lambda n: f"Concept FR {n}")
    slug = factory.Sequence(lambda n: f"concept-{n}")
    synonyms_en = factory.LazyFunction(list)
    synonyms_fr = factory.LazyFunction(list)
    definition = "A business concept."


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Dataset {n}")
    slug = factory.Sequence(lambda n: f"dataset-{n}")
    description = "Daily extract of **customer** records."
    domain = Domain.CUSTOMER
    source_system = "Core banking"
    location = factory.Sequence(lambda n: f"s3://datalake/raw/dataset_{n}/")
    owner = factory.SubFactory(UserFactory)
    status = DatasetStatus.PUBLISHED
    collection_purpose = "Account management"
    retention_days = 365

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: object) -> None:
        if create and extracted:
            self.tags.set(extracted)

    @factory.post_generation
    def glossary_terms(self, create: bool, extracted: list[GlossaryTerm] | None, **kwargs: object) -> None:
        if create and extracted:
            self.glossary_terms.set(extracted)


class ColumnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Column

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"column_{n}")
    position = factory.Sequence(lambda n: n)
    data_type = ColumnType.STRING
    personal_data_class = PersonalDataClass.NONE


class DatasetVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DatasetVersion

    dataset = factory.SubFactory(DatasetFactory)
    number = factory.Sequence(lambda n: n + 1)
    received_at = factory.LazyFunction(timezone.now)
    operation = VersionOperation.APPEND
    row_count = 1000
    schema = factory.LazyFunction(lambda: [{"name": "id", "type": "integer"}])
    schema_fingerprint = factory.LazyAttribute(lambda v: schema_fingerprint(v.schema))
    schema_diff = factory.LazyFunction(lambda: {"initial": True, "added": ["id"], "removed": [], "type_changed": []})


# --- Projects --------------------------------------------------------------------------------------
# Built through the models, like the factories above. ``ProjectFactory(stage=...)`` puts a project
# in a stage without passing its gates (``write_stage_unchecked``): for tests that need a project
# somewhere in its lifecycle, not for tests of the transitions themselves, which call the services.


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    purpose = "Detect fraudulent card payments to block them before settlement."
    description = "A data-science project."

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> object:
        stage = kwargs.pop("stage", Stage.QUALIFICATION)
        entered_stage_at = kwargs.pop("entered_stage_at", None) or timezone.now()
        project = super()._create(model_class, *args, entered_stage_at=entered_stage_at, **kwargs)
        if stage != Stage.QUALIFICATION:
            write_stage_unchecked(project, stage=str(stage), at=entered_stage_at)  # type: ignore[arg-type]
        return project

    @factory.post_generation
    def lead(self, create: bool, extracted: object, **kwargs: object) -> None:
        """``ProjectFactory(lead=user)`` gives the project an active project lead."""
        if create and extracted is not None:
            MembershipFactory(project=self, user=extracted, role="project_lead")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = "data_scientist"
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class ProjectKPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectKPI

    project = factory.SubFactory(ProjectFactory)
    kind = "business"
    name = factory.Sequence(lambda n: f"KPI {n}")
    target = 0.8
    direction = "higher"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    target_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


class BacklogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BacklogItem

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    profile = "data_scientist"
    status = "todo"
    position = factory.Sequence(lambda n: n)


class ModelLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelLink

    project = factory.SubFactory(ProjectFactory)
    registered_model_name = factory.Sequence(lambda n: f"model-{n}")
    linked_at = factory.LazyFunction(timezone.now)


class RiskScreeningFactory(factory.django.DjangoModelFactory):
    """A screening computed from ``answers`` (all "no" unless given) by ``projects.risk.screen``."""

    class Meta:
        model = RiskScreening

    class Params:
        result = factory.LazyAttribute(lambda s: risk.screen(s.answers))

    project = factory.SubFactory(ProjectFactory)
    questionnaire_version = 1
    answers = factory.LazyFunction(risk.all_no)
    ai_act_tier = factory.LazyAttribute(lambda s: s.result.ai_act_tier)
    ai_act_reasons = factory.LazyAttribute(lambda s: s.result.ai_act_reasons)
    dpia_required = factory.LazyAttribute(lambda s: s.result.dpia_required)
    dpia_reasons = factory.LazyAttribute(lambda s: s.result.dpia_reasons)
    screened_by = factory.SubFactory(UserFactory)
    screened_at = factory.LazyFunction(timezone.now)


# --- Governance --------------------------------------------------------------------------------------
# Built through the models, for tests that need grants to exist (lists, query counts, enforcement);
# tests of requests, decisions and revocations call ``governance.services``.


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.AccessRequest"
        skip_postgeneration_save = True

    requester = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory, stage=Stage.EXPLORATION)
    dataset = factory.SubFactory(DatasetFactory)
    purpose = factory.LazyAttribute(lambda r: r.project.purpose)
    legal_basis = "legitimate_interests"
    requested_end = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))
    status = "approved"

    @factory.post_generation
    def columns(self, create: bool, extracted: list[Column] | None, **kwargs: object) -> None:
        if create and extracted:
            self.columns.set(extracted)


class GrantFactory(factory.django.DjangoModelFactory):
    """A live grant of ``columns`` (all the dataset's columns unless given)."""

    class Meta:
        model = "governance.Grant"
        skip_postgeneration_save = True

    request = factory.SubFactory(AccessRequestFactory)
    project = factory.SelfAttribute("request.project")
    dataset = factory.SelfAttribute("request.dataset")
    purpose = factory.SelfAttribute("request.purpose")
    legal_basis = "legitimate_interests"
    granted_stage = factory.LazyAttribute(lambda g: g.project.stage)
    granted_by = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))

    @factory.post_generation
    def columns(self, create: bool, extracted: list[Column] | None, **kwargs: object) -> None:
        if create:
            self.columns.set(extracted if extracted is not None else list(self.dataset.columns.all()))


# --- MLflow registry mirror (issue 7) ----------------------------------------------------------------
# Rows as the MLflow sync writes them, for tests of the pages, the API and the checks; tests of the
# sync itself run it against a real MLflow server (tests/mlflow_server.py).


class RegisteredModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.RegisteredModel"

    name = factory.Sequence(lambda n: f"registered-model-{n}")
    last_updated_ms = factory.LazyFunction(lambda: int(timezone.now().timestamp() * 1000))
    created_at_mlflow = factory.LazyFunction(timezone.now)
    synced_at = factory.LazyFunction(timezone.now)


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.ModelVersion"

    registered_model = factory.SubFactory(RegisteredModelFactory)
    version = factory.Sequence(lambda n: n + 1)
    status = "READY"
    source = factory.LazyAttribute(lambda v: f"runs:/{v.run_id}/model")
    run_id = factory.Sequence(lambda n: f"{n:032x}")
    created_at_mlflow = factory.LazyFunction(timezone.now)
    last_updated_ms = factory.LazyFunction(lambda: int(timezone.now().timestamp() * 1000))
    synced_at = factory.LazyFunction(timezone.now)


class ModelAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.ModelAlias"

    registered_model = factory.SubFactory(RegisteredModelFactory)
    alias = "champion"
    version = 1
    synced_at = factory.LazyFunction(timezone.now)


class RunMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.RunMetric"

    run_id = factory.Sequence(lambda n: f"{n:032x}")
    key = "auc"
    value = 0.9
    step = 1


class TrainingInputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.TrainingInput"

    model_version = factory.SubFactory(ModelVersionFactory)
    name = factory.Sequence(lambda n: f"dataset-input-{n}")
    digest = factory.Sequence(lambda n: f"{n:08x}")
    source_type = "local"
    source = "/data/input.csv"
    context = "training"


def _content_type_of(obj: object) -> object:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj)  # type: ignore[arg-type]


class TaskRunFactory(factory.django.DjangoModelFactory):
    """A queued task run on a tag, never sent (tests that exercise sending use task_run_enqueue)."""

    class Meta:
        model = "workers.TaskRun"

    target_type = factory.LazyAttribute(lambda o: _content_type_of(o.target))
    target_id = factory.LazyAttribute(lambda o: o.target.pk)
    task_name = "tests.slow_effect"
    kwargs = factory.LazyFunction(lambda: {"sleep": 0})
    queued_at = factory.LazyFunction(timezone.now)

    class Params:
        target = factory.SubFactory(TagFactory)
