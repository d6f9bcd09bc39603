"""The demo seeder: requests in every status for the demo open stores; running it again changes nothing."""

import io

import pytest
from django.core.management import call_command

from aftersales.models import AftersalesRequest, AftersalesStatus, Review

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_status_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    statuses = set(AftersalesRequest.objects.values_list("status", flat=True))
    assert statuses == set(AftersalesStatus.values)
    counts = AftersalesRequest.objects.count(), Review.objects.count()
    assert (
        Review.objects.filter(replied_at__isnull=False).exists()
        and Review.objects.filter(replied_at__isnull=True).exists()
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert (AftersalesRequest.objects.count(), Review.objects.count()) == counts
