"""Create the platform roles as groups with their permissions (catalog/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from catalog.roles import ROLE_PERMISSIONS, Role, group_name

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        if role == Role.ADMIN:
            group.permissions.set(Permission.objects.all())
            continue
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)


def remove_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from catalog.roles import Role, group_name

    apps.get_model("auth", "Group").objects.filter(name__in=[group_name(r) for r in Role]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("workers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
