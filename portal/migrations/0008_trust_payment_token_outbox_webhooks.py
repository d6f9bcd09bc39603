import secrets

from django.db import migrations, models

import portal.models
from django.db.models import F


def fill(apps, schema_editor):
    Payment = apps.get_model("portal", "Payment")
    for payment in Payment.objects.filter(token__isnull=True).only("pk"):
        Payment.objects.filter(pk=payment.pk).update(token=secrets.token_urlsafe(24))
    # Events recorded before the outbox were fanned out on commit: the sweep must not send them again.
    apps.get_model("portal", "Event").objects.filter(fanned_out_at__isnull=True).update(fanned_out_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_auditentry_actor_kind")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="fanned_out_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="分发时间"),
        ),
        migrations.AddField(
            model_name="payment",
            name="token",
            field=models.CharField(editable=False, max_length=40, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="token",
            field=models.CharField(
                default=portal.models.new_payment_token, editable=False, max_length=40, unique=True
            ),
        ),
        migrations.RemoveField(model_name="webhookattempt", name="response_excerpt"),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("fanned_out_at__isnull", True)),
                fields=["created_at"],
                name="event_outbox_pending",
            ),
        ),
    ]
