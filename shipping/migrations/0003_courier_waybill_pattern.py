"""Each courier's waybill format as data (DOMAIN.md), replacing the code dict shipping.waybills.WAYBILL_FORMATS."""

from django.db import migrations, models

PATTERNS = {
    "SF": r"^SF\d{13}$|^\d{12}$",
    "YTO": r"^YT\d{13}$",
    "ZTO": r"^\d{12,15}$",
    "STO": r"^(268|368|58)\d{9,10}$",
    "YUNDA": r"^(10|12|19)\d{11}$",
    "JTSD": r"^JT\d{13}$",
    "EMS": r"^\d{13}$|^[A-Z]{2}\d{9}[A-Z]{2}$",
    "JD": r"^JD[A-Z0-9]{10,18}$",
}


def load(apps, schema_editor):
    Courier = apps.get_model("shipping", "Courier")
    for code, pattern in PATTERNS.items():
        Courier.objects.filter(code=code, waybill_pattern="").update(waybill_pattern=pattern)


class Migration(migrations.Migration):
    dependencies = [("shipping", "0002_couriers")]
    operations = [
        migrations.AddField(
            model_name="courier",
            name="waybill_pattern",
            field=models.CharField(
                blank=True,
                help_text="正则表达式；留空则使用通用格式 ^[A-Z0-9]{8,20}$",
                max_length=200,
                verbose_name="运单号格式",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
