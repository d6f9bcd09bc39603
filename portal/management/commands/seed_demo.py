"""Demo data for the one-command run. Idempotent: running it again changes nothing.

Each app contributes a seeder function in SEEDERS order; the logins are printed at the end.
"""

import logging

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from portal.demo import settle_inbox
from portal.models import Notification

DEMO_PASSWORD = "demo12345"

SEEDERS = [
    "portal.demo.seed",
    "shop.demo.stores.seed",
    "shop.demo.catalog.seed",
    "shop.demo.orders.seed",
    "shipping.demo.seed",
    "aftersales.demo.seed",
    "shop.demo.funds.seed",  # after every seeder that completes orders
    "shipping.demo.seed_pickup_scans",  # after every seeder that self-ships orders
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins: list[tuple[str, str]] = []
        logging.getLogger("celery").setLevel(logging.WARNING)
        # Demo events notify in-app only: no console flood of demo mails and SMS.
        first_new = (Notification.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", SMS_BACKEND="portal.sms.LocmemSmsBackend"
        ):
            for path in SEEDERS:
                with transaction.atomic():
                    logins += import_string(path)(password=DEMO_PASSWORD) or []
        # Last: of what this run notified, what is left unread is what the merchant finds waiting.
        settle_inbox(first_id=first_new)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for username, what in logins:
            self.stdout.write(f"  {username:<16} {what}")
        self.stdout.write("Portal: http://127.0.0.1:8000/  Admin: /admin/  API docs: /api/docs/")
