"""Staff roles as data: reviewer, support and finance receive their permissions in every app (portal.roles)."""

from django.db import migrations


def grant(apps, schema_editor):
    from portal.roles import grant_staff_roles

    grant_staff_roles(apps, using=schema_editor.connection.alias if schema_editor else "default")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_webhooks"),
        ("shop", "0009_compensation_coupons"),
        ("shipping", "0002_couriers"),
        ("aftersales", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
