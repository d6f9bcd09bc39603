"""Every user-visible write leaves an audit row (audit_record, which transition uses too), and timelines
read as people speak: a verb phrase, a human actor, local time (Asia/Shanghai) — on pages and in the admin."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from portal.audit import actor_display, audit_record, timeline_html, timeline_rows
from portal.fsm import transition
from portal.models import AuditEntry, Membership
from portal.services import api_key_create, api_key_revoke
from portal.webhooks.services import webhook_endpoint_create, webhook_endpoint_set_active
from shop.models import DepositRule
from shop.services.orders import order_ship
from shop.services.stores import membership_invite
from tests.conftest import force_status
from tests.factories import UserFactory
from tests.shipping.conftest import paid_order

pytestmark = pytest.mark.django_db


def rows_for(obj):
    return list(AuditEntry.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name))


def test_creating_and_revoking_an_api_key_is_audited(store, merchant):
    key, _raw = api_key_create(store=store, name="ERP", scopes=["orders:read"], by=merchant)
    api_key_revoke(key=key, by=merchant)
    api_key_revoke(key=key, by=merchant)  # already revoked: nothing happens, nothing recorded
    assert [(r.transition, r.actor_id, r.store_id) for r in rows_for(key)] == [
        ("create", merchant.pk, store.pk),
        ("revoke", merchant.pk, store.pk),
    ]
    assert "secret" not in str(rows_for(key)[0].data) and key.hashed_key not in str(rows_for(key)[0].data)


def test_webhook_endpoint_writes_are_audited(store, merchant):
    endpoint = webhook_endpoint_create(
        store=store, url="https://erp.example.com/hook", event_types=["order.paid"], by=merchant
    )
    webhook_endpoint_set_active(endpoint=endpoint, active=False, by=merchant)
    assert [r.transition for r in rows_for(endpoint)] == ["create", "disable"]


def test_adding_a_member_is_audited(store, merchant):
    user = UserFactory(username="helper")
    membership = membership_invite(store=store, user_ref="helper", by=merchant)
    [row] = rows_for(membership)
    assert (row.transition, row.reason, row.store_id) == ("create", "helper", store.pk)
    assert Membership.objects.filter(user=user, store=store).exists()


def test_admin_edits_of_deposit_rules_are_audited_with_the_changed_fields(admin_client, staff_user):
    rule = DepositRule.objects.filter(is_active=True).first()
    url = reverse("admin:shop_depositrule_change", args=[rule.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update(amount=rule.amount + 100, category=rule.category_id or "", is_active="on" if rule.is_active else "")
    response = admin_client.post(url, data)
    assert response.status_code == 302
    [row] = rows_for(rule)
    assert row.transition == "update" and row.actor_id == staff_user.pk and "amount" in row.data["changed"]


def test_a_field_edit_row_has_no_states_and_reads_as_its_verb(store, merchant):
    row = audit_record(store, "update", by=merchant)
    assert (row.from_state, row.to_state) == ("", "")
    [shown] = timeline_rows([row])
    assert shown.verb == "修改"


def test_actors_read_as_people(store, merchant, staff_user):
    staff_user.first_name = "小王"
    staff_user.save()
    assert actor_display("system") == "系统"
    assert actor_display(None) == "系统"
    assert actor_display("buyer:b1") == "买家"
    assert actor_display("courier:SF") == "顺丰速运"
    assert actor_display("payment:sandbox") == "支付渠道"
    assert actor_display(merchant) == merchant.get_username()
    assert actor_display(staff_user) == "平台 · 小王"


def test_timelines_show_a_verb_phrase_in_local_time(store, merchant_client, merchant):
    force_status(store, "submitted")
    transition(store, "approve", by="system")
    AuditEntry.objects.filter(object_id=store.pk, transition="approve").update(
        created_at=datetime(2026, 1, 2, 16, 30, tzinfo=UTC)
    )
    html = timeline_html(store)
    assert "审核通过" in html and "系统" in html and "2026-01-03 00:30:00" in html
    assert "approve" not in html.replace('data-verb="approve"', "") and "submitted" not in html


def test_the_order_page_timeline_speaks_the_merchants_language(merchant_client, store):
    order = paid_order(store)
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by=store.memberships.get().user)
    html = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    timeline = html[html.index('data-testid="timeline"') :]
    assert "发货" in timeline and "自己联系快递" in timeline
    assert "paid</code>" not in timeline and "self:" not in timeline
