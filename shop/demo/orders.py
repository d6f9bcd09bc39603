"""Demo orders: a few hundred per demo, in every state, spread over the last 90 days so charts have data.

History is replayed through the real services with the clock set to each moment (so timestamps, deadlines
and audit rows agree). Idempotent: stores that already have demo orders are left alone.
The `simulate_orders` command reuses `place_and_pay` to keep orders coming in live.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.utils import timezone

from portal.exceptions import DomainError
from portal.payments.providers import get_provider
from portal.payments.services import payment_record_callback
from portal.regions import regions
from shop.models import GroupBuy, Order, Sku, Store
from shop.models.catalog import ProductStatus
from shop.models.orders import BuyMode, GroupStatus, OrderStatus
from shop.services import deposit
from shop.services import orders as services
from shop.services.orders import common, compensations, deadlines, groups, lifecycle

# The order services that notify: silenced while the demo replays history.
_ORDER_SERVICE_MODULES = (common, compensations, deadlines, groups, lifecycle)

DEMO_BUYER_PREFIX = "demo-"
ORDERS_PER_STORE = 80
STORES = 3
DAYS = 90
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄婷", "周杰", "吴昊", "徐丽", "孙强"]
COURIERS = {"SF": "SF{:013d}", "YTO": "YT{:013d}", "ZTO": "7730{:08d}", "JTSD": "JT{:013d}"}


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Replay history: every timezone.now() (transitions, auto_now fields, audit rows) answers `moment`."""

    def frozen() -> datetime:
        return moment

    with mock.patch("django.utils.timezone.now", new=frozen):
        yield


def _backdate(order: Order, moment: datetime) -> None:
    """`default=timezone.now` fields were bound to the real clock at import: put them on the replay clock."""
    Order.objects.filter(pk=order.pk).update(created_at=moment)
    if order.group_id:
        GroupBuy.objects.filter(pk=order.group_id, leader_ref=order.buyer_ref).update(created_at=moment)


def recipient(rng: random.Random) -> dict[str, str]:
    province = rng.choice([p for p, cities in regions().items() if cities])
    city = rng.choice(list(regions()[province]))
    return {
        "recipient_name": rng.choice(NAMES),
        "recipient_phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        "province": province,
        "city": city,
        "district": rng.choice(regions()[province][city]),
        "street": f"{rng.choice(['人民路', '解放路', '中山路', '建设大道', '滨江路'])} {rng.randint(1, 999)} 号",
    }


def waybill(rng: random.Random) -> tuple[str, str]:
    courier = rng.choice(list(COURIERS))
    return courier, COURIERS[courier].format(rng.randrange(10**8))


def sellable_skus(store: Store) -> list[Sku]:
    return list(
        Sku.objects.filter(product__store=store, product__status=ProductStatus.ON_SALE, stock__gt=0).select_related(
            "product"
        )
    )


def place_and_pay(
    *, store: Store, sku: Sku, buyer_ref: str, rng: random.Random, group: GroupBuy | None = None, pay: bool = True
) -> Order:
    """One buyer's order (single, or group when `group` is given or a new group is wanted), paid in the sandbox."""
    mode = BuyMode.GROUP if group is not None or rng.random() < 0.3 else BuyMode.SINGLE
    order = services.order_place(
        store=store,
        buyer_ref=buyer_ref,
        lines=[services.LineIn(sku_id=sku.pk, quantity=rng.choice([1, 1, 1, 2]))],
        buy_mode=mode,
        group_id=group.pk if group else None,
        buyer_note=rng.choice(["", "", "请尽快发货", "放门卫处"]),
        by=f"buyer:{buyer_ref}",
        **recipient(rng),
    )
    if pay:
        payment, _url = services.order_pay(order=order, by=f"buyer:{buyer_ref}")
        provider = get_provider(payment.provider)
        payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
        order.refresh_from_db()
    return order


def _replay_one(store: Store, skus: list[Sku], n: int, rng: random.Random, now: datetime) -> None:
    """Place one order (or a whole group) at a random past moment and move it as far as its age allows."""
    # The first few are minutes old (awaiting payment), a fifth are from the last three days (to ship, grouping,
    # in transit), the rest spread over the whole period.
    span = 20 if n < 10 else 72 * 60 if rng.random() < 0.2 else DAYS * 24 * 60
    age = timedelta(minutes=rng.randrange(span))
    start = now - age
    sku = rng.choice(skus)
    buyer = f"{DEMO_BUYER_PREFIX}{store.pk}-{n}"
    with clock_at(start):
        pay = age < timedelta(minutes=20) and rng.random() < 0.5 or age >= timedelta(minutes=20) and rng.random() > 0.08
        order = place_and_pay(store=store, sku=sku, buyer_ref=buyer, rng=rng, pay=pay)
    _backdate(order, start)
    if order.status == OrderStatus.PENDING_PAYMENT and age > timedelta(minutes=30):
        with clock_at(start + timedelta(minutes=30)):
            services.cancel_unpaid()
        return
    if order.status == OrderStatus.GROUPING:
        _fill_or_fail(order, store, sku, rng, start, now)
    members = Order.objects.filter(group=order.group) if order.group_id else Order.objects.filter(pk=order.pk)
    for member in members.filter(status=OrderStatus.PAID).order_by("pk"):
        _after_payment(member, rng, now)


def _fill_or_fail(order: Order, store: Store, sku: Sku, rng: random.Random, start: datetime, now: datetime) -> None:
    group = order.group
    window = group.expires_at - start
    if rng.random() < 0.15 or start + window / 2 > now:  # some groups fail; recent ones are still open
        if group.expires_at <= now:
            with clock_at(group.expires_at):
                services.fail_expired_groups()
        return
    for member in range(1, group.size):
        joined_at = start + window * rng.uniform(0.05, 0.45) * member / group.size
        with clock_at(joined_at):
            member_order = place_and_pay(
                store=store, sku=sku, buyer_ref=f"{order.buyer_ref}-{member}", rng=rng, group=group
            )
        _backdate(member_order, joined_at)


def _after_payment(order: Order, rng: random.Random, now: datetime) -> None:
    clock = order.ship_clock_at
    roll = rng.random()
    if roll < 0.04 and clock + timedelta(hours=6) < now:  # the merchant cancels (out of stock) and refunds
        with clock_at(clock + timedelta(hours=rng.uniform(1, 6))):
            services.order_cancel(order=order, reason="缺货，协商取消", by="demo")
        return
    # Shipped before the order's ship-by deadline (some close to it): the history earned no late-shipping fines.
    window = (order.ship_by - clock).total_seconds() / 3600 if order.ship_by else 48
    ship_at = clock + timedelta(hours=rng.uniform(1, window * 0.6) if roll < 0.92 else rng.uniform(window * 0.6, window - 1))
    if ship_at > now:
        return  # still to ship
    with clock_at(ship_at):
        courier, number = waybill(rng)
        order = services.order_ship(order=order, courier_code=courier, waybill_no=number, by="demo")
    if rng.random() < 0.05:
        with clock_at(ship_at + timedelta(hours=1)):
            courier, number = waybill(rng)
            order = services.order_reship(order=order, courier_code=courier, waybill_no=number, by="demo")
    delivered_at = ship_at + timedelta(hours=rng.uniform(30, 96))
    if delivered_at > now:
        return
    with clock_at(delivered_at):
        order = services.order_deliver(order=order, by=f"courier:{order.courier_code}")
    confirm_at = delivered_at + timedelta(hours=rng.uniform(2, 120))
    if rng.random() < 0.3:
        confirm_at = order.receipt_deadline
    if confirm_at <= now:
        with clock_at(confirm_at):
            services.order_confirm_receipt(order=order, by=f"buyer:{order.buyer_ref}")


def seed(*, password: str) -> list[tuple[str, str]]:
    """Orders for the demo's open stores (those with products on sale); nothing if there are none yet."""
    now = timezone.now()
    stores = Store.objects.filter(status="open", products__status=ProductStatus.ON_SALE).distinct().order_by("pk")
    # History makes no notifications (nor deposit SMS for its late-shipping penalties); simulate_orders makes live ones.
    with ExitStack() as silent:
        for module in (*_ORDER_SERVICE_MODULES, deposit):
            for name in ("emit", "emit_many"):
                if hasattr(module, name):
                    silent.enter_context(mock.patch.object(module, name))
        for store in stores[:STORES]:
            if Order.objects.filter(store=store, buyer_ref__startswith=DEMO_BUYER_PREFIX).exists():
                continue
            rng = random.Random(store.pk)
            skus = sellable_skus(store)
            for n in range(ORDERS_PER_STORE):
                try:
                    _replay_one(store, skus, n, rng, now)
                except DomainError:  # e.g. a SKU sold out: the buyer walks away
                    continue
        with clock_at(now):
            services.compensate_late_shipping()
    return []


def open_groups(store: Store) -> list[GroupBuy]:
    return list(
        GroupBuy.objects.filter(
            store=store, status=GroupStatus.OPEN, expires_at__gt=timezone.now(), orders__status=OrderStatus.GROUPING
        ).distinct()
    )
