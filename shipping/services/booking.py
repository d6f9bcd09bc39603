"""Online booking (在线下单): book, dispatch to the courier, record its answer, cancel and re-book.

Courier calls never run under a row lock: a booking is committed first, then dispatched
(`booking_dispatch`, on commit), and the outcome is recorded by a second, idempotent step.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import user_of
from portal.events import emit, enqueue
from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from portal.fsm import transition
from portal.regions import PROVINCES, validate_address
from shop.selectors.orders import order_ship_refusal, orders_lock
from shop.selectors.story import order_in_aftersales, order_live_parcel, orders_prime_action_facts

from .. import selectors
from ..carriers.base import Address, BatchRequest, ParcelRequest, ParcelResult
from ..carriers.registry import adapter_for, adapter_for_booking
from ..models import (
    ACTIVE,
    Booking,
    Courier,
    SenderAddress,
    Shipment,
    ShipmentStatus,
)

if TYPE_CHECKING:
    from shop.models import Order

logger = logging.getLogger(__name__)
S = ShipmentStatus


MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class BookingLine:
    """One order of a booking with what the confirmation page may edit."""

    order_id: int
    weight_g: int | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    # 合并发货: lines of one booking with the same non-empty key travel as one parcel (one waybill).
    parcel: str = ""


RECIPIENT_KEYS = ("recipient_name", "recipient_phone", "province", "city", "district", "street")
COLD = frozenset({"fresh", "frozen"})


def merge_refusal(shipments: list[Shipment], courier: Courier) -> str:
    """Why these orders cannot travel as one parcel ("" when they can): one recipient at one address,
    compatible special goods (cold-chain goods only with the same cold-chain goods), at most 100 kg."""
    first = shipments[0]
    if any(any(getattr(s, k) != getattr(first, k) for k in RECIPIENT_KEYS) for s in shipments[1:]):
        return _("合并发货的订单须为同一收件人、同一地址")
    colds = {frozenset(set(s.special_goods) & COLD) for s in shipments}
    if len(colds) > 1:
        return _("生鲜、冷冻商品不能与其他商品合并发货")
    if sum(s.predicted_weight_g for s in shipments) > 100_000:
        return _("合并后的包裹超过 100 千克")
    goods = set().union(*(set(s.special_goods) for s in shipments))
    return selectors.courier_refusal(courier, goods=goods, provinces=[first.province])


def _merge_parcels(
    shipments: list[Shipment], keys: list[str], *, courier: Courier, sender, errors: dict, volume: int = 0
) -> dict:
    """Group the shipments by their line's parcel key: the lead carries the combined weight, goods and price."""
    groups: dict[str, list[Shipment]] = {}
    for shipment, key in zip(shipments, keys, strict=True):
        if key:
            groups.setdefault(key, []).append(shipment)
    leads = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        refusal = merge_refusal(group, courier)
        if refusal:
            for s in group:
                errors.setdefault(s.order.order_sn, []).append(refusal)
            continue
        lead, members = group[0], group[1:]
        lead.predicted_weight_g = sum(s.predicted_weight_g for s in group)
        lead.goods_summary = "；".join(s.goods_summary for s in group)[:200]
        lead.special_goods = sorted(set().union(*(set(s.special_goods) for s in group)))
        lead.predicted_price = courier.price_for(
            weight_g=lead.predicted_weight_g, from_province=sender.province, to_province=lead.province, volume=volume
        )
        for m in members:
            m.predicted_price = 0
        leads[id(lead)] = (lead, members)
    return leads


def _new_booking_no(now: datetime) -> str:
    return f"BK{timezone.localtime(now):%y%m%d%H%M%S}{random.randint(0, 999_999):06d}"


def batch_limit_message(*, n: int | str, extra: int | str) -> str:
    """The one wording of the batch limit (service, API, pages and the selection counter's script)."""
    return _("每次最多下单 %(limit)s 单，您选择了 %(n)s 单，请减少 %(extra)s 单后再提交。") % {
        "limit": settings.SHIPPING_BATCH_LIMIT,
        "n": n,
        "extra": extra,
    }


def check_batch_limit(count: int) -> None:
    """At least one order and at most SHIPPING_BATCH_LIMIT (30): more is refused with a clear message, never cut."""
    limit = settings.SHIPPING_BATCH_LIMIT
    if count == 0:
        raise ValidationFailed(
            _("请至少选择一个订单。"), code="no_orders", fields={"orders": [_("请至少选择一个订单。")]}
        )
    if count > limit:
        msg = batch_limit_message(n=count, extra=count - limit)
        raise ValidationFailed(msg, code="too_many_orders", fields={"orders": [msg]})


def _check_pickup(courier: Courier, pickup_date: date, pickup_slot: str) -> None:
    for day, _label, slots in selectors.pickup_days(courier):
        if day == pickup_date and pickup_slot in slots:
            return
    msg = _("该揽收时段不可预约，请重新选择。")
    raise ValidationFailed(msg, code="bad_pickup_slot", fields={"pickup_slot": [msg]})


def _recipient_errors(line: dict) -> list[str]:
    errors = []
    if not (line["recipient_name"] or "").strip():
        errors.append(_("收件人不能为空"))
    if not MOBILE.match(line["recipient_phone"] or ""):
        errors.append(_("收件人手机号格式不正确"))
    if line["province"] not in PROVINCES:
        errors.append(_("省份不正确"))
    if not (line["city"] and line["district"] and (line["street"] or "").strip()):
        errors.append(_("收件地址不完整"))
    elif not errors:
        try:
            validate_address(line["province"], line["city"], line["district"])
        except ValidationFailed as exc:
            errors += [str(m) for messages in exc.fields.values() for m in messages]
    return errors


def book_refusal(order: Order, by) -> str:
    """Why this order cannot be booked now ("" when it can): its "book" action (shop.actions: the FSM's ship
    transition from its state and guard, no live parcel, not in after-sales), with the cause named."""
    if order_live_parcel(order) is not None:
        return _("该订单已下单，不能重复下单")
    if order_in_aftersales(order):
        return _("订单售后处理中，不能下单")
    if order.no_logistics:
        return _("无需物流发货的订单请在订单详情直接发货")
    if refusal := order_ship_refusal(order):
        return refusal
    try:
        require_action(order, by, "book")
    except IllegalTransition:
        return _("当前状态不允许下单")
    return ""


def _lock_bookable_orders(*, store, lines: list[BookingLine], by) -> tuple[dict[int, Order], dict[str, list[str]]]:
    """Lock the orders (concurrent bookings of one order: the second waits here, then sees the first) and
    sort out those that cannot be booked (refused per order, with the reason). All refused: Conflict."""
    ids = [line.order_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(_("订单重复。"), code="duplicate_orders")
    orders = orders_lock(store=store, ids=ids)
    missing = set(ids) - set(orders)
    if missing:
        raise ValidationFailed(
            _("订单不存在。"), code="order_not_found", fields={"orders": [str(i) for i in sorted(missing)]}
        )
    orders_prime_action_facts(orders.values())
    refused = {o.order_sn: [r] for o in orders.values() if (r := book_refusal(o, by))}
    if len(refused) == len(orders):
        booked = any(order_live_parcel(o) is not None for o in orders.values())
        raise NothingBookable(
            _("部分订单不能下单：%(sn)s") % {"sn": "、".join(refused)},
            code="already_booked" if booked else "not_bookable",
            fields=refused,
        )
    return {pk: o for pk, o in orders.items() if o.order_sn not in refused}, refused


class NothingBookable(Conflict):
    """None of a booking's orders can be booked (each named with its reason in `fields`)."""


@transaction.atomic
def booking_submit(
    *,
    store,
    courier: Courier,
    sender: SenderAddress,
    pickup_date: date,
    pickup_slot: str,
    lines: list[BookingLine],
    by,
    scenario: str = "",
    group_no: str = "",
) -> Booking:
    """Book up to 30 paid orders with one courier: one Booking, one requested Shipment per order.

    The courier is called after commit (`booking_dispatch`). Refuses: too many orders, goods or addresses
    the courier does not cover, bad recipients. Orders that cannot be booked now (`book_refusal`: not paid,
    on risk hold, already booked, in after-sales) are left out with the reason in `booking.refused`, the
    others booked; when none can be, NothingBookable (409).
    """
    check_batch_limit(len(lines))
    if sender.store_id != store.pk:
        raise ValidationFailed(_("发货地址不存在。"), code="bad_sender", fields={"sender": [_("发货地址不存在。")]})
    if not courier.is_active:
        raise ValidationFailed(_("该快递公司暂停服务。"), code="courier_inactive")
    _check_pickup(courier, pickup_date, pickup_slot)
    orders, refused = _lock_bookable_orders(store=store, lines=lines, by=by)
    lines = [line for line in lines if line.order_id in orders]
    now = timezone.now()
    rules = settings.PORTAL_TIME_RULES
    booking = Booking(
        store=store,
        booking_no=_new_booking_no(now),
        courier=courier,
        sender=sender,
        sender_name=sender.contact_name,
        sender_phone=sender.phone,
        sender_province=sender.province,
        sender_city=sender.city,
        sender_district=sender.district,
        sender_street=sender.street,
        pickup_date=pickup_date,
        pickup_slot=pickup_slot,
        scenario=scenario,
        group_no=group_no,
        account=selectors.courier_account_for(store, courier),
        created_by=user_of(by),
        created_at=now,
    )
    volume = selectors.month_volumes(store.pk).get(courier.pk, 0)  # the price tier: this month's parcels before
    shipments, errors, keys = [], {}, []
    for line in lines:
        order = orders[line.order_id]
        parcel = selectors.parcel_of(order)
        recipient = {
            key: (getattr(line, key) if getattr(line, key) not in (None, "") else getattr(order, key))
            for key in ("recipient_name", "recipient_phone", "province", "city", "district", "street")
        }
        problems = _recipient_errors(recipient) or [
            r
            for r in [
                courier_refusal_for(courier, goods=parcel.goods, provinces=[recipient["province"], sender.province])
            ]
            if r
        ]
        weight = line.weight_g or parcel.weight_g
        if not 1 <= weight <= 100_000:
            problems.append(_("重量应在 1 克到 100 千克之间"))
        if problems:
            errors[order.order_sn] = problems
            continue
        shipments.append(
            Shipment(
                store=store,
                order=order,
                courier=courier,
                goods_summary=parcel.summary,
                special_goods=sorted(parcel.goods),
                predicted_weight_g=weight,
                predicted_price=courier.price_for(
                    weight_g=weight, from_province=sender.province, to_province=recipient["province"], volume=volume
                ),
                confirm_by=now + rules["courier_confirm"],
                pickup_by=now + rules["courier_pickup"],
                created_at=now,
                status_changed_at=now,
                **recipient,
            )
        )
        keys.append(line.parcel)
    parcels = (
        _merge_parcels(shipments, keys, courier=courier, sender=sender, errors=errors, volume=volume)
        if any(keys)
        else {}
    )
    if errors:
        raise ValidationFailed(
            _("以下订单不能使用%(courier)s下单：%(sn)s") % {"courier": courier.name, "sn": "、".join(errors)},
            code="courier_refused",
            fields=errors,
        )
    booking.save()
    for shipment in shipments:
        shipment.booking = booking
    try:
        with transaction.atomic():
            Shipment.objects.bulk_create(shipments)
    except IntegrityError:  # the unique active-shipment constraint: another booking won the race
        raise Conflict(_("部分订单已被其他操作下单，请刷新后重试。"), code="already_booked")
    members = []
    for lead, group in parcels.values():
        for m in group:
            m.parcel_lead = lead
            members.append(m)
    if members:
        Shipment.objects.bulk_update(members, ["parcel_lead"])
    transaction.on_commit(lambda: _dispatch_later(booking.pk))
    booking.refused = refused
    return booking


def booking_chunks(lines: list, size: int | None = None) -> list[list]:
    """A selection cut into consecutive bookings of at most SHIPPING_BATCH_LIMIT (30), in the given order;
    the lines of one merged parcel (same `parcel` key) stay in one booking."""
    size = size or settings.SHIPPING_BATCH_LIMIT
    units: list[list] = []
    by_key: dict[str, list] = {}
    for line in lines:
        key = (
            line.get("parcel", "")
            if isinstance(line, dict)
            else getattr(line, "parcel_key", getattr(line, "parcel", ""))
        )
        key = key if isinstance(key, str) else ""
        if key and key in by_key:
            by_key[key].append(line)
            continue
        unit = [line]
        units.append(unit)
        if key:
            by_key[key] = unit
    chunks: list[list] = []
    for unit in units:
        if chunks and len(chunks[-1]) + len(unit) <= size:
            chunks[-1].extend(unit)
        else:
            chunks.append(list(unit))
    return chunks


def selection_limit() -> int:
    """How many orders one confirmation may book (as consecutive bookings of 30)."""
    return int(getattr(settings, "SHIPPING_SELECTION_LIMIT", 600))


@transaction.atomic
def booking_submit_many(
    *,
    store,
    courier: Courier,
    sender: SenderAddress,
    pickup_date: date,
    pickup_slot: str,
    lines: list[BookingLine],
    by,
    scenario: str = "",
) -> Bookings:
    """Book any selection from one courier choice and one confirmation: consecutive bookings of ≤ 30 orders.

    Orders that cannot be booked now (cancelled, already booked, in after-sales: `book_refusal`) are
    refused per order, the others booked, the refused listed in the result's `refused`. Otherwise all or
    nothing: every booking is checked, and the refusals of all of them (a recipient, a courier's coverage)
    are reported together (fields keyed by order number); nothing is booked while one is refused. Each booking has its
    own number and is dispatched after commit; the courier's per-order refusals then return those orders
    to 未下单 with the reason, as for one booking. The bookings share a `group_no`.
    """
    if not lines:
        check_batch_limit(0)
    limit = selection_limit()
    if len(lines) > limit:
        msg = _("一次最多提交 %(limit)d 单（分批下单），您选择了 %(n)d 单。") % {"limit": limit, "n": len(lines)}
        raise ValidationFailed(msg, code="selection_too_large", fields={"orders": [msg]})
    ids = [line.order_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(_("订单重复。"), code="duplicate_orders")
    group_no = _new_booking_no(timezone.now()).replace("BK", "BG", 1)
    bookings = Bookings()
    fields: dict[str, list[str]] = {}
    first_error = None
    nothing: NothingBookable | None = None
    for chunk in booking_chunks(lines):
        try:
            booking = booking_submit(
                store=store,
                courier=courier,
                sender=sender,
                pickup_date=pickup_date,
                pickup_slot=pickup_slot,
                lines=chunk,
                by=by,
                scenario=scenario,
                group_no=group_no if len(lines) > settings.SHIPPING_BATCH_LIMIT else "",
            )
        except NothingBookable as exc:  # refused per order, like the refused orders of a booking
            nothing = nothing or exc
            bookings.refused.update(exc.fields)
            continue
        except (ValidationFailed, Conflict) as exc:
            if not exc.fields or set(exc.fields) <= {"sender", "pickup_slot", "orders"}:
                raise  # a refusal of the whole submission (sender, slot, courier): the same for every booking
            first_error = first_error or exc
            fields.update(exc.fields)
            continue
        bookings.append(booking)
        bookings.refused.update(booking.refused)
    if first_error is not None:
        raise type(first_error)(
            _("部分订单不能下单，全部未提交：%(sn)s") % {"sn": "、".join(fields)},
            code=first_error.code,
            fields=fields,
        )
    if not bookings and nothing is not None:
        raise NothingBookable(
            _("部分订单不能下单：%(sn)s") % {"sn": "、".join(bookings.refused)},
            code=nothing.code,
            fields=bookings.refused,
        )
    return bookings


class Bookings(list):
    """The bookings of one submission, and the orders it refused (`refused`: order number → reasons)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: dict[str, list[str]] = {}


def courier_refusal_for(courier: Courier, *, goods, provinces: list[str]) -> str:
    return selectors.courier_refusal(courier, goods=goods, provinces=provinces)


def _dispatch_later(booking_id: int) -> None:
    """Queue the courier call; with the broker down the booking stays undispatched for `dispatch_pending`."""
    from ..tasks import booking_dispatch_task

    enqueue(booking_dispatch_task, booking_id)


def booking_dispatch(*, booking_id: int) -> Booking:
    """Send the booking's undispatched shipments to the courier (no lock held), then record the outcome."""
    booking = Booking.objects.select_related("courier", "account").get(pk=booking_id)
    shipments = list(
        booking.shipments.filter(status=S.REQUESTED, waybill_no="", carrier_task_id="", parcel_lead__isnull=True)
        .select_related("order")
        .prefetch_related(
            Prefetch(
                "parcel_members", Shipment.objects.filter(status=S.REQUESTED).select_related("order").order_by("id")
            )
        )
    )
    if not shipments:  # all cancelled before dispatch, or already dispatched
        Booking.objects.filter(pk=booking.pk, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
        return booking
    request = BatchRequest(
        booking_no=booking.booking_no,
        courier_code=booking.courier.code,
        sender=Address(
            booking.sender_name,
            booking.sender_phone,
            booking.sender_province,
            booking.sender_city,
            booking.sender_district,
            booking.sender_street,
        ),
        pickup_date=booking.pickup_date,
        pickup_slot=booking.pickup_slot,
        parcels=[
            ParcelRequest(
                order_ref=s.order.order_sn,
                recipient=Address(s.recipient_name, s.recipient_phone, s.province, s.city, s.district, s.street),
                weight_g=s.predicted_weight_g,
                goods=s.goods_summary,
                special_goods=tuple(s.special_goods),
                ref=f"{booking.booking_no}-{s.pk}",
                merged_refs=tuple(m.order.order_sn for m in s.parcel_members.all()),
            )
            for s in shipments
        ],
        scenario=booking.scenario or booking.courier.sandbox_scenario,
    )
    adapter = adapter_for_booking(booking)
    if booking.account_id is None:
        return booking_record_results(booking_id=booking.pk, results=adapter.book_batch(booking.courier, request))
    # One call per parcel through the store's account (a bounded pool): each answer is recorded as it
    # comes; an unknown outcome (timeout, 5xx) stays undispatched and is retried with the same
    # thirdOrderId by the dispatch_pending sweep, so a parcel is never lost nor booked twice.
    for result in adapter.book_each(booking.courier, request):
        if not result.unknown:
            booking_record_results(booking_id=booking.pk, results=[result])
    return Booking.objects.get(pk=booking.pk)


@transaction.atomic
def booking_record_results(*, booking_id: int, results: list[ParcelResult]) -> Booking:
    """Record the courier's per-order answer: waybill and parcel code, or failure (order back to 未下单). Idempotent."""
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    by_ref = {r.order_ref: r for r in results if not r.unknown}
    shipments = list(
        Shipment.objects.select_for_update(of=("self",))
        .filter(booking=booking, status=S.REQUESTED, waybill_no="", carrier_task_id="")
        .select_related("order")
    )
    succeeded, failed = [], []
    members: dict[int, list[Shipment]] = {}
    for shipment in shipments:
        if shipment.parcel_lead_id:
            members.setdefault(shipment.parcel_lead_id, []).append(shipment)
    shipments = [s for s in shipments if not s.parcel_lead_id]
    for shipment in shipments:
        result = by_ref.get(shipment.order.order_sn)
        if result is None:
            continue
        for member in members.get(shipment.pk, []):  # a merged parcel: every order shares the lead's answer
            if result.ok:
                member.waybill_no, member.parcel_code, member.label_data = (
                    result.waybill_no,
                    result.parcel_code,
                    result.label,
                )
                succeeded.append(member)
            else:
                member.failure_reason = result.failure_reason[:200] or _("快递公司拒绝下单")
                transition(member, "reject", by=f"courier:{booking.courier.code}", reason=member.failure_reason)
                failed.append(member)
        if result.ok:
            shipment.waybill_no, shipment.parcel_code, shipment.label_data = (
                result.waybill_no,
                result.parcel_code,
                result.label,
            )
            shipment.carrier_task_id, shipment.carrier_order_id = result.carrier_task_id, result.carrier_order_id
            if result.predicted_price is not None:
                shipment.predicted_price = result.predicted_price
            succeeded.append(shipment)
        else:
            shipment.failure_reason = result.failure_reason[:200] or _("快递公司拒绝下单")
            transition(shipment, "reject", by=f"courier:{booking.courier.code}", reason=shipment.failure_reason)
            failed.append(shipment)
    Shipment.objects.bulk_update(
        succeeded,
        ["waybill_no", "parcel_code", "label_data", "carrier_task_id", "carrier_order_id", "predicted_price"],
    )
    undispatched = [s for s in shipments if s.order.order_sn not in by_ref]  # no answer yet (unknown outcome)
    if booking.dispatched_at is None and not undispatched:
        booking.dispatched_at = timezone.now()
        booking.save(update_fields=["dispatched_at"])
    if failed:
        emit(
            type="shipment.exception",
            store_id=booking.store_id,
            title=_("在线下单部分失败：%(n)d 单") % {"n": len(failed)},
            body="；".join(f"{s.order.order_sn}：{s.failure_reason}" for s in failed[:10]),
            url=reverse("shipping:booking_detail", args=[booking.booking_no]),
            data={"booking_no": booking.booking_no, "failed": [s.order.order_sn for s in failed]},
        )
    return booking


def _notify_courier_cancel(courier: Courier, waybills: list[str]) -> None:
    adapter = adapter_for(courier)
    for waybill in waybills:
        try:
            adapter.cancel(courier, waybill_no=waybill)
        except Exception:  # noqa: BLE001 - the platform side is cancelled; the courier is told best-effort
            logger.exception("courier %s refused to cancel %s", courier.code, waybill)


def _cancel_through_account(booking: Booking, courier: Courier, task_id: str, order_id: str) -> None:
    try:
        # an account booking's adapter is kuaidi100's, whose cancel names the task (CarrierAdapter's names a waybill)
        adapter_for_booking(booking).cancel(  # type: ignore[call-arg]
            courier, task_id=task_id, order_id=order_id, reason="商家取消"
        )
    except Exception:  # noqa: BLE001 - the platform side is cancelled; the courier is told best-effort
        logger.exception("kuaidi100 refused to cancel %s", task_id)


@transaction.atomic
def shipment_cancel(*, shipment: Shipment, by, reason: str = "", with_order: bool = False) -> Shipment:
    """Cancel a booked parcel until it is weighed; the order returns to 未下单; the courier is told after commit.

    `with_order`: the parcel goes with its order's cancellation (`order_shipments_cancel`), which re-checked
    the order's cancel for its actor (a buyer or staff, who are not offered the parcel's own cancel).
    """
    shipment = Shipment.objects.select_for_update().select_related("courier", "booking").get(pk=shipment.pk)
    if not shipment.is_unweighed():
        raise Conflict(_("包裹已称重，不能取消。"), code="already_weighed")
    if not with_order:
        require_action(shipment, by, "cancel", "staff_cancel")
    transition(shipment, "cancel", by=by, reason=reason or _("商家取消"))
    if shipment.parcel_lead_id:
        return shipment  # one order leaves a merged parcel: the parcel itself still goes
    # The lead of a merged parcel: the courier's parcel is cancelled, so are the orders travelling in it
    # (they return to 未下单 to be booked again).
    for member in Shipment.objects.select_for_update().filter(
        parcel_lead=shipment, status__in=[S.REQUESTED, S.CONFIRMED]
    ):
        transition(member, "cancel", by=by, reason=_("合并发货的包裹已取消"))
    if shipment.waybill_no or shipment.carrier_task_id:
        courier, waybill, booking = shipment.courier, shipment.waybill_no, shipment.booking
        if booking.account_id:
            task = (shipment.carrier_task_id, shipment.carrier_order_id)
            transaction.on_commit(lambda: _cancel_through_account(booking, courier, *task))
        else:
            transaction.on_commit(lambda: _notify_courier_cancel(courier, [waybill]))
    return shipment


@transaction.atomic
def order_shipments_cancel(*, order: Order, by) -> int:
    """An order is being cancelled (`portal.hooks.order_cancelled`): cancel its booked parcel; returns how many.

    A parcel already weighed or picked up is with the courier, so the order is effectively shipped:
    the order's cancellation is refused (Conflict), and the caller's transaction rolls it all back.
    """
    shipments = list(Shipment.objects.filter(order_id=order.pk, status__in=ACTIVE).order_by("id"))
    if any(s.status not in (S.REQUESTED, S.CONFIRMED) or not s.is_unweighed() for s in shipments):
        raise Conflict(_("订单的包裹已被快递揽收，视为已发货，不能取消。"), code="parcel_picked_up")
    for shipment in shipments:
        shipment_cancel(shipment=shipment, by=by, reason=_("订单已取消"), with_order=True)
    return len(shipments)


@transaction.atomic
def booking_cancel(*, booking: Booking, by) -> int:
    """Cancel every parcel of the booking that can still be cancelled; returns how many."""
    ids = list(
        booking.shipments.filter(status__in=[S.REQUESTED, S.CONFIRMED], real_weight_g__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        shipment_cancel(shipment=Shipment(pk=pk), by=by)
    return len(ids)


@transaction.atomic
def booking_rebook(*, booking: Booking, courier: Courier, by, shipment_ids: list[int] | None = None) -> Booking:
    """Re-book the booking's waiting parcels (all, or `shipment_ids`) with another courier, cancelling the first.

    One click from the SLA alert: the new booking keeps the sender and recipients, picks the first
    available pickup slot, and is dispatched after commit.
    """
    old = Booking.objects.select_for_update().select_related("courier").get(pk=booking.pk)
    if courier.pk == old.courier_id:
        raise ValidationFailed(
            _("请选择另一家快递公司。"), code="same_courier", fields={"courier": [_("请选择另一家快递公司。")]}
        )
    qs = Shipment.objects.select_for_update(of=("self",)).filter(
        booking=old, status__in=[S.REQUESTED, S.CONFIRMED], real_weight_g__isnull=True
    )
    if shipment_ids is not None:  # a merged parcel moves whole: its orders follow the lead
        qs = qs.filter(Q(pk__in=shipment_ids) | Q(parcel_lead_id__in=shipment_ids))
    shipments = list(qs.select_related("order").order_by("id"))
    if not shipments:
        raise Conflict(_("没有可改派的包裹（已揽收或已取消）。"), code="nothing_to_rebook")
    days = selectors.pickup_days(courier)
    if not days:
        raise ValidationFailed(_("该快递公司近三天无可预约的揽收时段。"), code="bad_pickup_slot")
    refusals = {
        s.order.order_sn: [r]
        for s in shipments
        if (r := courier_refusal_for(courier, goods=set(s.special_goods), provinces=[s.province, old.sender_province]))
    }
    if refusals:
        raise ValidationFailed(
            _("%(courier)s 不能承运：%(sn)s") % {"courier": courier.name, "sn": "、".join(refusals)},
            code="courier_refused",
            fields=refusals,
        )
    now = timezone.now()
    rules = settings.PORTAL_TIME_RULES
    volume = selectors.month_volumes(old.store_id).get(courier.pk, 0)
    new = Booking.objects.create(
        store_id=old.store_id,
        booking_no=_new_booking_no(now),
        courier=courier,
        sender_id=old.sender_id,
        sender_name=old.sender_name,
        sender_phone=old.sender_phone,
        sender_province=old.sender_province,
        sender_city=old.sender_city,
        sender_district=old.sender_district,
        sender_street=old.sender_street,
        pickup_date=days[0][0],
        pickup_slot=days[0][2][0],
        rebooked_from=old,
        account=selectors.courier_account_for(old.store, courier),
        created_by=user_of(by),
        created_at=now,
    )
    cancelled_waybills = []
    for shipment in shipments:
        transition(shipment, "cancel", by=by, reason=_("改派%(c)s") % {"c": courier.name})
        if shipment.waybill_no:
            cancelled_waybills.append(shipment.waybill_no)
    copies = Shipment.objects.bulk_create(
        [
            Shipment(
                store_id=s.store_id,
                booking=new,
                order_id=s.order_id,
                courier=courier,
                recipient_name=s.recipient_name,
                recipient_phone=s.recipient_phone,
                province=s.province,
                city=s.city,
                district=s.district,
                street=s.street,
                goods_summary=s.goods_summary,
                special_goods=s.special_goods,
                predicted_weight_g=s.predicted_weight_g,
                predicted_price=courier.price_for(
                    weight_g=s.predicted_weight_g,
                    from_province=old.sender_province,
                    to_province=s.province,
                    volume=volume,
                ),
                confirm_by=now + rules["courier_confirm"],
                pickup_by=now + rules["courier_pickup"],
                created_at=now,
                status_changed_at=now,
            )
            for s in shipments
        ]
    )
    for shipment, copy in zip(shipments, copies, strict=True):
        shipment.replaced_by = copy
    Shipment.objects.bulk_update(shipments, ["replaced_by"])
    copy_of = {s.pk: c for s, c in zip(shipments, copies, strict=True)}
    regrouped = []
    for shipment, copy in zip(shipments, copies, strict=True):
        if shipment.parcel_lead_id in copy_of:  # the merged parcel is re-booked whole
            copy.parcel_lead = copy_of[shipment.parcel_lead_id]
            copy.predicted_price = 0
            regrouped.append(copy)
    if regrouped:
        Shipment.objects.bulk_update(regrouped, ["parcel_lead", "predicted_price"])
    old_courier = old.courier
    if old.account_id:
        for task in [(s.carrier_task_id, s.carrier_order_id) for s in shipments if s.carrier_task_id]:
            transaction.on_commit(partial(_cancel_through_account, old, old_courier, *task))
    else:
        transaction.on_commit(lambda: _notify_courier_cancel(old_courier, cancelled_waybills))
    transaction.on_commit(lambda: _dispatch_later(new.pk))
    return new
