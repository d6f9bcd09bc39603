"""Every page's frame: a skip link to the main content, a local favicon, announced messages and live
booking progress, and a label for every input of the main pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from shop.services.orders import order_ship
from tests.shipping.conftest import book, make_sender, paid_order
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db


def test_skip_link_favicon_and_announced_messages(merchant_client):
    html = merchant_client.get("/").content.decode()
    assert re.search(r'<a class="skip-link" href="#main"[^>]*>', html)
    assert '<main class="content" id="main"' in html
    favicon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert favicon.startswith(settings.STATIC_URL) and "//" not in favicon.removeprefix("/")
    assert finders.find(favicon.removeprefix(settings.STATIC_URL)) is not None
    assert Path(finders.find("favicon.svg")).read_text().startswith("<svg")


def test_booking_progress_is_announced(merchant_client, store):
    booking = book(store, [paid_order(store)], courier="ZTO", sender=make_sender(store))
    html = merchant_client.get(f"/shipping/bookings/{booking.booking_no}/").content.decode()
    live = re.search(r'<div role="status" aria-live="polite" data-testid="progress-live">\s*(.{0,400})', html, re.S)
    assert live and 'id="progress"' in live.group(1)


def unlabelled_inputs(html: str) -> list[str]:
    """Visible inputs, selects and textareas without a <label for>, a wrapping <label> or an aria-label."""
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    missing = []
    for m in re.finditer(r"<(input|select|textarea)\b([^>]*)>", html):
        attrs = m.group(2)
        if re.search(r'type="(hidden|submit|button)"', attrs):
            continue
        if "aria-label=" in attrs or "aria-labelledby=" in attrs:
            continue
        ident = re.search(r'\bid="([^"]+)"', attrs)
        if ident and ident.group(1) in labelled:
            continue
        before = html[: m.start()]
        if before.rfind("<label") > before.rfind("</label>"):
            continue  # wrapped in its label
        missing.append(m.group(0)[:120])
    return missing


def test_every_input_of_the_order_after_sales_and_review_pages_has_a_label(merchant_client, store):
    from aftersales import services as aftersales_services
    from tests.aftersales.conftest import make_order
    from tests.aftersales.test_reviews import review

    sku = on_sale_sku(store, stock=10)
    order = pay(place(store, sku))
    shipped = pay(place(store, sku, buyer="b2"))
    order_ship(order=shipped, courier_code="SF", waybill_no="SF1234567890123", by="m")
    delivered = make_order(store)
    req = aftersales_services.aftersales_open(
        order=delivered, item_id=delivered.items.get().pk, buyer_ref=delivered.buyer_ref, type="refund_only",
        reason="quality", amount=1000, by="buyer",
    )  # fmt: skip
    review(make_order(store), text="不错")
    pages = ["/shop/orders/", f"/shop/orders/{order.order_sn}/", f"/shop/orders/{shipped.order_sn}/",
             "/aftersales/requests/?tab=all", f"/aftersales/requests/{req.pk}/", "/aftersales/reviews/"]  # fmt: skip
    missing = {url: unlabelled_inputs(merchant_client.get(url).content.decode()) for url in pages}
    assert {url: m for url, m in missing.items() if m} == {}


def test_the_label_check_finds_an_unlabelled_input():
    assert unlabelled_inputs(
        '<label for="a">A</label><input id="a"><label><input name="b"> B</label><input name="c">'
    ) == ['<input name="c">']
