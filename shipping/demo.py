"""Demo data of online booking: sender addresses for open stores, paid orders waiting in 未下单, and
bookings whose parcels sit in every status (driven through the real services and the sandbox courier).
STO (申通) is configured to miss pickups, so its booking shows the overdue alert and re-booking."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from portal.payments.providers import SandboxProvider
from portal.payments.services import payment_record_callback
from shop.models import Order, Sku, Store
from shop.services.orders import LineIn, order_pay, order_place

from . import selectors, services
from .carriers import sandbox
from .carriers.base import CourierUpdate
from .models import Booking, Courier, SandboxParcel, SenderAddress, Shipment, TrackingAction

ADDRESSES = [
    ("上海仓", "周仓管", "13700000001", "上海市", "上海市", "青浦区", "华新镇华志路 1688 号 3 号库"),
    ("义乌仓", "吴仓管", "13700000002", "浙江省", "金华市", "义乌市", "福田街道国际商贸城四区 12 号"),
    ("广州仓", "郑仓管", "13700000003", "广东省", "广州市", "白云区", "太和镇物流园 B 区 8 号"),
]
RECIPIENTS = [
    ("李娜", "13912340001", "浙江省", "杭州市", "西湖区", "文三路 100 号 2 幢 501"),
    ("王强", "13912340002", "广东省", "广州市", "天河区", "体育西路 191 号"),
    ("张敏", "13912340003", "北京市", "北京市", "朝阳区", "建国路 88 号 SOHO 现代城"),
    ("刘洋", "13912340004", "四川省", "成都市", "锦江区", "春熙路 18 号"),
    ("陈静", "13912340005", "江苏省", "南京市", "玄武区", "中山路 321 号"),
    ("杨帆", "13912340006", "湖北省", "武汉市", "江汉区", "解放大道 690 号"),
    ("赵磊", "13912340007", "上海市", "上海市", "徐汇区", "漕溪北路 398 号"),
    ("黄丽", "13912340008", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "光明路 66 号"),
]
UNBOOKED = 24


def _addresses(store: Store) -> None:
    if SenderAddress.objects.filter(store=store).exists():
        return
    for i, (label, name, phone, province, city, district, street) in enumerate(ADDRESSES):
        services.sender_address_save(
            store=store,
            data={
                "label": label, "contact_name": name, "phone": phone, "province": province, "city": city,
                "district": district, "street": street, "is_default": i == 0,
            },
            by="demo",
        )  # fmt: skip


def _paid_orders(store: Store, n: int, *, far: bool = True) -> list:
    skus = list(
        Sku.objects.filter(product__store=store, product__status="on_sale", stock__gt=50)
        .filter(product__is_frozen=False, product__is_fresh=False, product__is_bulky=False)
        .order_by("id")[:4]
    )
    if not skus:
        return []
    provider = SandboxProvider()
    orders = []
    recipients = RECIPIENTS if far else RECIPIENTS[:7]
    for i in range(n):
        name, phone, province, city, district, street = recipients[i % len(recipients)]
        order = order_place(
            store=store,
            buyer_ref=f"demo-buyer-{store.pk}-{Shipment.objects.count()}-{i}",
            lines=[LineIn(sku_id=skus[i % len(skus)].pk, quantity=1 + i % 2)],
            recipient_name=name,
            recipient_phone=phone,
            province=province,
            city=city,
            district=district,
            street=street,
            by="demo",
        )
        payment, _url = order_pay(order=order, by="demo")
        body, headers = provider.callback_request(payment)
        payment_record_callback(result=provider.parse_callback(body, headers), by="payment:sandbox")
        order.refresh_from_db()
        orders.append(order)
    return orders


def _book(store: Store, orders: list, courier_code: str, *, scenario: str = "") -> Booking:
    courier = Courier.objects.get(code=courier_code)
    day, _label, slots = selectors.pickup_days(courier)[0]
    booking = services.booking_submit(
        store=store,
        courier=courier,
        sender=selectors.default_sender(store),
        pickup_date=day,
        pickup_slot=slots[0],
        lines=[services.BookingLine(order_id=o.pk) for o in orders],
        by="demo",
        scenario=scenario,
    )
    services.booking_dispatch(booking_id=booking.pk)  # the seeder runs in one transaction: dispatch now
    return booking


def _freeze(shipment: Shipment) -> None:
    SandboxParcel.objects.filter(waybill_no=shipment.waybill_no).update(next_at=None)


@override_settings(SANDBOX_COURIER_CLOCK_SCALE=0)
def _bookings(store: Store) -> None:
    # One booking whose parcels stop at successive steps: confirmed, picked up, in transit, out for delivery, delivered.
    staged = _book(store, _paid_orders(store, 6, far=False), "ZTO")
    parcels = list(staged.shipments.order_by("id"))
    freeze_after = {1: parcels[0], 2: parcels[1], 3: parcels[2], 5: parcels[3]}
    for step in range(1, 7):
        sandbox.tick()
        if step in freeze_after:
            _freeze(freeze_after[step])
    # A parcel damaged in transit (exception).
    damaged = _book(store, _paid_orders(store, 1, far=False), "JD", scenario="exception")
    for _ in range(3):
        sandbox.tick()
    _freeze(damaged.shipments.get())
    # STO misses pickups: confirmed long ago, never collected → overdue, ready for one-click re-booking.
    missed = _book(store, _paid_orders(store, 3, far=False), "STO")
    sandbox.tick()
    ago = timedelta(hours=26)
    Shipment.objects.filter(booking=missed).update(
        created_at=F("created_at") - ago, confirm_by=F("confirm_by") - ago, pickup_by=F("pickup_by") - ago
    )
    Booking.objects.filter(pk=missed.pk).update(created_at=F("created_at") - ago)
    services.shipments_mark_overdue(now=timezone.now())
    # Waiting for acceptance, one cancelled, one refused by the courier (out of its area).
    waiting = _paid_orders(store, 4, far=False)
    waiting[-1].street = f"{waiting[-1].street}（超区）"
    lines = [services.BookingLine(order_id=o.pk) for o in waiting[:-1]] + [
        services.BookingLine(order_id=waiting[-1].pk, street=waiting[-1].street)
    ]
    courier = Courier.objects.get(code="YTO")
    day, _label, slots = selectors.pickup_days(courier)[-1]
    pending = services.booking_submit(
        store=store, courier=courier, sender=selectors.default_sender(store), pickup_date=day,
        pickup_slot=slots[0], lines=lines, by="demo",
    )  # fmt: skip
    services.booking_dispatch(booking_id=pending.pk)
    services.shipment_cancel(shipment=pending.shipments.order_by("id").first(), by="demo", reason="演示：商家取消")
    # the courier accepts these a few minutes after the demo starts (the scheduler runs the sandbox clock)
    SandboxParcel.objects.filter(booking_no=pending.booking_no, stage="booked").update(
        next_at=timezone.now() + timedelta(minutes=5)
    )


def seed(*, password: str) -> list[tuple[str, str]]:
    Courier.objects.filter(code="STO").update(sandbox_scenario="miss_pickup")
    stores = list(Store.objects.filter(status="open").order_by("id"))
    for store in stores:
        _addresses(store)
    main = next((s for s in stores if s.name == "拼拼优选旗舰店"), stores[0] if stores else None)
    if main is not None and not Booking.objects.filter(store=main).exists():
        _bookings(main)
        _paid_orders(main, UNBOOKED)
    return []


def seed_pickup_scans(*, password: str) -> list[tuple[str, str]]:
    """Every demo order the merchant shipped on its own gets the pickup (揽收) scan its courier would have sent and
    the departure scan after it, through the same path as a courier webhook: without them the fake-shipping sweep
    would fine it at once (no pickup, or a pickup stalled for 24 h)."""
    self_shipped = Order.objects.filter(shipped_via="self", waybill_at__isnull=False).exclude(waybill_no="")
    couriers = {c.code: c for c in Courier.objects.all()}
    scanned = selectors.orders_with_pickup_scan(list(self_shipped))
    now = timezone.now()
    for order in self_shipped.order_by("id"):
        courier = couriers.get(order.courier_code)
        if courier is None or order.pk in scanned:
            continue
        picked_up = min(order.waybill_at + timedelta(hours=1 + order.pk % 5), now)
        waybill_no = order.waybill_no.strip().upper()
        scans = [
            CourierUpdate(
                message_id=f"demo-got-{order.courier_code}-{order.waybill_no}",
                kind="track",
                waybill_no=waybill_no,
                occurred_at=picked_up,
                action=TrackingAction.GOT,
                description=f"【{order.city or order.province}】快递员已揽收",
                node=order.city[:60],
            )
        ]
        if picked_up + timedelta(hours=4) <= now:  # and the parcel moves on, or the stalled-pickup rule fines it
            scans.append(
                CourierUpdate(
                    message_id=f"demo-dep-{order.courier_code}-{order.waybill_no}",
                    kind="track",
                    waybill_no=waybill_no,
                    occurred_at=picked_up + timedelta(hours=4),
                    action=TrackingAction.DEPARTURE,
                    description=f"【{order.city or order.province}】已发出，下一站转运中心",
                    node=order.city[:60],
                )
            )
        services.courier_updates_apply(courier=courier, updates=scans)
    return []
