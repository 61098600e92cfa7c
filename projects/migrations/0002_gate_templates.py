"""Seed version 1 of each gate's checklist template (projects/gates.py, INITIAL_TEMPLATES; PRODUCT.md §3)."""

from django.db import migrations


def seed_templates(apps, schema_editor):  # type: ignore[no-untyped-def]
    from projects.gates import INITIAL_TEMPLATES

    Template = apps.get_model("projects", "GateChecklistTemplate")
    Item = apps.get_model("projects", "GateChecklistItem")
    SignOffRole = apps.get_model("projects", "GateSignOffRole")
    for gate, data in INITIAL_TEMPLATES.items():
        if Template.objects.filter(gate=gate).exists():
            continue
        template = Template.objects.create(gate=gate, version=1, notes=data["notes"], published_by=None)
        Item.objects.bulk_create(
            Item(template=template, position=position, **item) for position, item in enumerate(data["items"])
        )
        SignOffRole.objects.bulk_create(
            SignOffRole(template=template, position=position, **role)
            for position, role in enumerate(data["sign_off_roles"])
        )


def remove_templates(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("projects", "GateChecklistTemplate").objects.filter(version=1, published_by=None).delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(seed_templates, remove_templates)]
