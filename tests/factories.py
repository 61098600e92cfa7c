"""factory_boy factories for the whole suite. Factories build through the models; tests that
exercise a write path call the services instead."""

from __future__ import annotations

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
