"""Give the admin role (catalog/roles.py) every permission of the projects app, created after it.

The other platform roles need no model permission here: what they may do on a project follows from
their memberships (projects/models.py, ProjectAccess).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    from catalog.roles import Role, group_name

    app_config = apps.get_app_config("projects")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name(Role.ADMIN))
    group.permissions.add(*Permission.objects.filter(content_type__app_label="projects"))


def revoke(apps, schema_editor):  # type: ignore[no-untyped-def]
    from catalog.roles import Role, group_name

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=group_name(Role.ADMIN)).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="projects"))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_gate_templates"),
        ("catalog", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
