from django.db import migrations, models


def _lost_field() -> models.BooleanField:
    field = models.BooleanField(default=False, verbose_name="包裹遗失")
    field.set_attributes_from_name("lost")
    return field


def add_lost(apps, schema_editor):
    # SQLite would rebuild the table, and with it the PostgreSQL-only NULLS FIRST index of 0006: add the column
    # in place there.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('ALTER TABLE "shipping_shipment" ADD COLUMN "lost" bool NOT NULL DEFAULT 0')
    else:
        schema_editor.add_field(apps.get_model("shipping", "Shipment"), _lost_field())


def remove_lost(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('ALTER TABLE "shipping_shipment" DROP COLUMN "lost"')
    else:
        schema_editor.remove_field(apps.get_model("shipping", "Shipment"), _lost_field())


class Migration(migrations.Migration):
    dependencies = [("shipping", "0006_shipment_poll_cursor")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="shipment",
                    name="lost",
                    field=models.BooleanField(default=False, verbose_name="包裹遗失"),
                )
            ],
            database_operations=[migrations.RunPython(add_lost, remove_lost)],
        ),
    ]
