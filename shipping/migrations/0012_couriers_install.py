"""送货入户并安装 (home delivery and installation) is a service couriers offer for bulky goods: 京东物流 and 德邦
take it (Courier.accepts "install"; assumed, not in DOMAIN.md), so orders whose goods promise it are booked
only with them."""

from django.db import migrations

INSTALLERS = ("JD", "DEPPON")


def load(apps, schema_editor):
    Courier = apps.get_model("shipping", "Courier")
    for courier in Courier.objects.filter(code__in=INSTALLERS):
        if "install" not in courier.accepts:
            courier.accepts = [*courier.accepts, "install"]
            courier.save(update_fields=["accepts"])


def unload(apps, schema_editor):
    Courier = apps.get_model("shipping", "Courier")
    for courier in Courier.objects.filter(code__in=INSTALLERS):
        courier.accepts = [g for g in courier.accepts if g != "install"]
        courier.save(update_fields=["accepts"])


class Migration(migrations.Migration):
    dependencies = [("shipping", "0011_merge_20261202_2209")]
    operations = [migrations.RunPython(load, unload)]
