"""Give the admin role (catalog/roles.py) every permission of the governance app, and governance
officers the view permissions of its models (they decide through the services, never by editing
rows). What others may do follows from their projects and datasets (governance/permissions.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICER_VIEW = ["accessrequest", "precheckresult", "grant", "deletiontask", "auditevent"]


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    from catalog.roles import Role, group_name

    app_config = apps.get_app_config("governance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name=group_name(Role.ADMIN))
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="governance"))
    officer, _ = Group.objects.get_or_create(name=group_name(Role.GOVERNANCE_OFFICER))
    officer.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="governance", codename__in=[f"view_{m}" for m in OFFICER_VIEW]
        )
    )


def revoke(apps, schema_editor):  # type: ignore[no-untyped-def]
    from catalog.roles import Role, group_name

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="governance")
    for role in (Role.ADMIN, Role.GOVERNANCE_OFFICER):
        group = Group.objects.filter(name=group_name(role)).first()
        if group is not None:
            group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0002_audit_append_only"),
        ("catalog", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
