"""Run by .ci/production_stage.py inside `manage.py shell` (production settings): the merchant's side of the
stage, which no API creates: an open store with stock, a sender address, a storefront/ERP API key, an outbound
webhook endpoint (the merchant's integration, a local receiver) and a logged-in session. Prints one JSON line."""

import json
import os
from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from portal.models import ApiKey
from portal.services import api_key_create
from portal.webhooks.models import WebhookEndpoint
from shipping import selectors as shipping_selectors
from shipping import services as shipping_services
from shipping.models import Courier
from tests.conftest import force_status
from tests.factories import MembershipFactory
from tests.shop.orders_support import on_sale_sku

membership = MembershipFactory(user__username="stage-merchant")
store, user = membership.store, membership.user
force_status(store, "open")
skus = [on_sale_sku(store, stock=500) for _ in range(3)]
sender = shipping_services.sender_address_save(
    store=store,
    data={
        "label": "上海仓", "contact_name": "周仓管", "phone": "13700000001", "province": "上海市",
        "city": "上海市", "district": "青浦区", "street": "华新镇华志路 1688 号", "is_default": True,
    },
    by=user,
)  # fmt: skip
every_scope = [s.value for s in ApiKey.Scope]
_key, raw = api_key_create(store=store, name="stage", scopes=every_scope, by=user)
# Buyer operations (place, pay) are a storefront's; booking is the merchant's (the two sides of the API).
_key, storefront_raw = api_key_create(
    store=store, name="stage storefront", scopes=every_scope, kind=ApiKey.Kind.STOREFRONT, by=user
)
endpoint = WebhookEndpoint.objects.create(
    store=store, url=os.environ["STAGE_RECEIVER_URL"], event_types=["order.paid"], created_by=user
)
courier = (
    Courier.objects.filter(adapter="sandbox", code="ZTO").first() or Courier.objects.filter(adapter="sandbox").first()
)
Courier.objects.filter(pk=courier.pk).update(sandbox_scenario="", pushes_webhooks=True)
days = shipping_selectors.pickup_days(courier) or shipping_selectors.pickup_days(
    courier, now=timezone.now() + timedelta(days=1)
)
day, _label, slots = days[0]
session = SessionStore()
session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(
    "STAGE "
    + json.dumps(
        {
            "api_key": raw,
            "storefront_key": storefront_raw,
            "sku_ids": [s.pk for s in skus],
            "sender_address_id": sender.pk,
            "courier": courier.code,
            "pickup_date": day.isoformat(),
            "pickup_slot": slots[0],
            "webhook_secret": endpoint.secret,
            "session": session.session_key,
        }
    )
)
