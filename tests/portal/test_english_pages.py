"""The portal in English: the main pages, rendered over the seeded demo with the language switched to
English, show no Chinese except the merchants' and buyers' own data (and the language switch's "中文")."""

from __future__ import annotations

import html as htmllib
import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from aftersales.models import AftersalesRequest
from portal.models import User
from shop.models import Order, Store

pytestmark = pytest.mark.django_db(transaction=True)  # the seeders commit

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]+")

# Columns that hold text the system wrote (read through `portal.i18n.stored_text`): never user data.
SYSTEM_COLUMNS = {
    ("portal", "notification"),
    ("portal", "event"),
    ("portal", "auditentry"),
    ("shop", "payoutentry"),
    ("shop", "evaluationrule"),
    ("shop", "depositentry"),
}
SYSTEM_FIELDS = {("shipping", "courier", "service_level")}


def user_data() -> list[str]:
    """Every text people typed into the portal's rows (products, addresses, notes, reviews...), longest first."""
    values: list[str] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in {"portal", "shop", "shipping", "aftersales"}:
            continue
        if (meta.app_label, meta.model_name) in SYSTEM_COLUMNS:
            continue
        names = [
            f.name
            for f in meta.get_fields()
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices
            and (meta.app_label, meta.model_name, f.name) not in SYSTEM_FIELDS
        ]
        for name in names:
            values += [v for v in model.objects.values_list(name, flat=True).distinct() if v and CJK.search(v)]
    return sorted(set(values), key=len, reverse=True)


def visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r'<button[^>]*lang="zh-Hans"[^>]*>.*?</button>', " ", html, flags=re.S)
    html = re.sub(r'(?:title|alt|placeholder|aria-label)="([^"]*)"', r"> \1 <", html)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def chinese_system_strings(html: str, data: list[str]) -> set[str]:
    """The Chinese left once every user-data value is taken out of the page's text (pages join values:
    province + city + district)."""
    text = visible_text(html)
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return set(CJK.findall(text))


def test_main_pages_in_english_show_no_chinese_system_text(client):
    call_command("seed_demo", stdout=io.StringIO())
    store = Store.objects.get(name="拼拼优选旗舰店")
    client.force_login(User.objects.get(username="merchant"))
    client.cookies["django_language"] = "en"
    shipped = Order.objects.filter(store=store, status="shipped").first()
    paid = Order.objects.filter(store=store, status="paid").first()
    requests = AftersalesRequest.objects.filter(store=store)
    pages = [
        "/",
        "/data/",
        "/inbox/",
        "/shop/orders/",
        f"/shop/orders/{shipped.order_sn}/",
        f"/shop/orders/{paid.order_sn}/",
        "/aftersales/requests/?tab=all",
        *[f"/aftersales/requests/{r.pk}/" for r in requests[:6]],
        "/aftersales/reviews/",
        "/shop/funds/",
        "/shop/evaluation/",
        "/shipping/booking/",
        "/shipping/shipments/",
        "/shop/promotions/?tab=leader_free",
        "/shop/promotions/?tab=coupons",
        "/shop/promotions/leader-free/new/",
    ]
    data = user_data()
    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.content.decode(), url
        leftovers = chinese_system_strings(response.content.decode(), data)
        if leftovers:
            found[url] = sorted(leftovers)
    assert found == {}


def test_the_check_finds_a_chinese_system_string():
    html = '<p>Orders</p><p>待发货</p><button lang="zh-Hans">中文</button><p>浙江省</p>'
    assert chinese_system_strings(html, data=["浙江省"]) == {"待发货"}
    assert chinese_system_strings("<p>浙江省杭州市 已发货</p>", data=["杭州市", "浙江省"]) == {"已发货"}


def test_stored_text_prefers_the_most_specific_pattern():
    """Two catalogue patterns share the literal prefix "订单 ": the one with more literal text wins, so the open end
    of "订单 %(sn)s" does not swallow "… 已发货" (found as an untranslated inbox title)."""
    from django.utils import translation

    from portal.i18n import stored_text

    with translation.override("en"):
        assert stored_text("订单 260101-000000000000001 已发货") == "Order 260101-000000000000001 shipped"
        assert stored_text("订单 260101-000000000000001").startswith("Order 260101-000000000000001")
