"""Notification centre: preferences per event type and channel, SMS quiet hours, inbox filters, mark-as-read."""

from datetime import time

import pytest
from django.core import mail
from django.urls import reverse

from portal import sms
from portal.events import EVENT_TYPES, emit
from portal.models import Notification, NotificationPreference
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_saved_preferences_choose_the_channels(merchant_client, merchant, store, django_capture_on_commit_callbacks):
    data = {f"{t}:{c}": "1" for t in EVENT_TYPES for c in ("in_app", "email", "sms")}
    del data["order.paid:email"], data["order.paid:sms"]
    data.update(phone=merchant.phone, sms_quiet_start="", sms_quiet_end="")
    response = merchant_client.post(reverse("notification_prefs"), data)
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=merchant, event_type="order.paid")
    assert (pref.in_app, pref.email, pref.sms) == (True, False, False)
    assert NotificationPreference.objects.filter(user=merchant).count() == len(EVENT_TYPES)

    with django_capture_on_commit_callbacks(execute=True):
        emit(type="order.paid", store_id=store.pk, title="新订单")
        emit(type="group.formed", store_id=store.pk, title="拼团成功")
    assert Notification.objects.filter(user=merchant).count() == 2
    assert [m.subject for m in mail.outbox] == ["拼团成功"]
    assert [text for _phone, text in sms.outbox] == ["拼团成功"]


def test_page_shows_the_defaults_then_saved_choices(merchant_client, merchant):
    page = merchant_client.get(reverse("notification_prefs"))
    rows = {key: on for key, _label, on in page.context["rows"]}
    assert rows["deposit.changed"] == {"in_app": True, "email": True, "sms": True}  # sms_default
    assert rows["order.paid"] == {"in_app": True, "email": True, "sms": False}


def test_quiet_hours_across_midnight_hold_back_sms_only(
    merchant_client, merchant, store, django_capture_on_commit_callbacks, time_machine
):
    merchant_client.post(
        reverse("notification_prefs"),
        {
            "deposit.changed:in_app": "1",
            "deposit.changed:sms": "1",
            "phone": merchant.phone,
            "sms_quiet_start": "22:00",
            "sms_quiet_end": "08:00",
        },
    )
    merchant.refresh_from_db()
    assert (merchant.sms_quiet_start, merchant.sms_quiet_end) == (time(22), time(8))

    time_machine.move_to("2026-11-21 23:30:00+08:00", tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        emit(type="deposit.changed", store_id=store.pk, title="保证金扣除")
    assert sms.outbox == []
    assert Notification.objects.filter(user=merchant, kind="deposit.changed").count() == 1

    time_machine.move_to("2026-11-22 08:00:00+08:00", tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        emit(type="deposit.changed", store_id=store.pk, title="保证金扣除")
    assert sms.outbox == [(merchant.phone, "保证金扣除")]


def test_half_a_quiet_window_is_a_field_error(merchant_client, merchant):
    response = merchant_client.post(
        reverse("notification_prefs"), {"phone": merchant.phone, "sms_quiet_start": "22:00", "sms_quiet_end": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["sms_quiet_end"]
    merchant.refresh_from_db()
    assert merchant.sms_quiet_start is None
    assert not NotificationPreference.objects.exists()


def test_bad_phone_is_a_field_error(merchant_client, merchant):
    response = merchant_client.post(reverse("notification_prefs"), {"phone": "12345"})
    assert response.context["form"].errors["phone"]


def _notes(user, store):
    a = Notification.objects.create(user=user, store=store, kind="order.paid", title="新订单 A")
    b = Notification.objects.create(user=user, store=store, kind="review.received", title="收到评价 B")
    return a, b


def test_inbox_filters_by_event_type(merchant_client, merchant, store):
    _notes(merchant, store)
    page = merchant_client.get(reverse("inbox"), {"kind": "review.received"})
    assert [n.title for n in page.context["page"]] == ["收到评价 B"]


def test_mark_one_read_with_htmx_returns_the_row_and_refreshes_the_badge(merchant_client, merchant, store):
    a, b = _notes(merchant, store)
    response = merchant_client.post(reverse("inbox_mark_read"), {"ids": [a.pk]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert f'id="note-{a.pk}"' in response.content.decode()
    a.refresh_from_db(), b.refresh_from_db()
    assert a.read_at is not None and b.read_at is None
    badge = merchant_client.get(reverse("unread_badge"))
    assert badge.content.decode().strip() == '<span class="count" data-testid="unread-count">1</span>'


def test_another_users_notifications_are_untouched(client, merchant, store):
    a, _b = _notes(merchant, store)
    other = MembershipFactory().user
    client.force_login(other)
    client.post(reverse("inbox_mark_read"), {"ids": [a.pk]})
    a.refresh_from_db()
    assert a.read_at is None
    assert "新订单 A" not in client.get(reverse("inbox")).content.decode()


def test_prefs_and_inbox_pages_use_few_queries(merchant_client, merchant, store, django_assert_max_num_queries):
    for _ in range(3):
        _notes(merchant, store)
    with django_assert_max_num_queries(12):
        merchant_client.get(reverse("notification_prefs"))
    with django_assert_max_num_queries(12):
        merchant_client.get(reverse("inbox"), {"kind": "order.paid"})
