"""In-process scheduler for the one-command run: runs every sweep each interval (Celery beat at scale)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.sweeps import run_all


class Command(BaseCommand):
    help = "Run the deadline sweeps periodically (use Celery beat in production)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every sweep once and exit.")
        parser.add_argument("--interval", type=int, default=settings.SWEEP_INTERVAL_SECONDS)

    def handle(self, *args, once: bool = False, interval: int = 60, **options):
        while True:
            results = run_all()
            changed = {k: v for k, v in results.items() if v}
            if changed or once:
                self.stdout.write(f"sweeps: {changed or 'nothing to do'}")
            if once:
                return
            time.sleep(interval)
