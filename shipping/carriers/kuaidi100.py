"""kuaidi100 商家寄件 (上门取件, online payment): one account books door-to-door pickups with many couriers.

The protocol (../shared/COURIERS.md): one endpoint, form fields `method`, `key`, `t`, `param` (JSON)
and `sign` = upper-case MD5 of `param + t + key + secret`; answers `result`, `returnCode`,
`message`, `data`. Callbacks (order status with fees, and the tracking push) are form POSTs of
`param` and `sign` = upper-case MD5 of `param + salt`, the salt being the store account's.

This module speaks the protocol and nothing else: it builds and signs calls, maps return codes and
business failures to reasons a merchant can act on, and parses callbacks into plain data. What a
status does to a parcel is decided by `shipping.services` (see `STATUSES`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import ValidationFailed

from .base import BatchRequest, CarrierAdapter, ParcelRequest, ParcelResult

logger = logging.getLogger(__name__)

ADDRESS_MAX_BYTES = 300
CALLBACK_URL_MAX_BYTES = 200
THIRD_ORDER_ID_MAX = 32
CANCEL_MSG_MAX = 30
REMARK_MAX_BYTES = 200  # no limit in our notes: kept to a callBackUrl's, which the protocol bounds
BATCH_PRICE_MAX = 15
# What kuaidi100 itself requires (the fake server checks these; the adapter reads the Courier table).
CARGO_REQUIRED = {"jd", "yuantong", "ems"}
SLOT_REQUIRED = {"shunfeng"}
DAY_TYPES = {0: "今天", 1: "明天", 2: "后天"}
BEIJING = ZoneInfo("Asia/Shanghai")  # the protocol's times carry no zone

# Every documented `data.status` of the order callback: (name, merchant label).
STATUSES: dict[int, tuple[str, object]] = {
    0: ("booked", gettext_lazy("已下单")),
    1: ("accepted", gettext_lazy("快递员已接单")),
    2: ("collecting", gettext_lazy("快递员取件中")),
    10: ("picked_up", gettext_lazy("已取件")),
    11: ("pickup_failed", gettext_lazy("取件失败")),
    101: ("in_transit", gettext_lazy("运输中")),
    400: ("out_for_delivery", gettext_lazy("派送中")),
    13: ("signed", gettext_lazy("已签收")),
    14: ("abnormal_signed", gettext_lazy("异常签收")),
    15: ("settled", gettext_lazy("已结算运费")),
    155: ("weight_corrected", gettext_lazy("重量修正，运费调整")),
    166: ("revived", gettext_lazy("订单复活")),
    9: ("user_cancelled", gettext_lazy("用户取消")),
    99: ("cancelled", gettext_lazy("订单已取消")),
    200: ("label_printed", gettext_lazy("已打印面单")),
    201: ("label_failed", gettext_lazy("面单打印失败")),
    610: ("booking_failed", gettext_lazy("下单失败")),
}


def status_label(code: int | None) -> str:
    """The merchant's words for a kuaidi100 status code ("" when there is none)."""
    if code is None:
        return ""
    return str(STATUSES[code][1]) if code in STATUSES else _("未知状态 %(s)s") % {"s": code}


# The tracking push's `data[].status` words → the platform's tracking actions (DOMAIN.md).
TRACE_ACTIONS = {
    "揽收": "GOT",
    "在途": "DEPARTURE",
    "干线": "DEPARTURE",
    "到达": "ARRIVAL",
    "派件": "SEND",
    "投柜或驿站": "IN_CABINET",
    "待取件": "IN_CABINET",
    "签收": "SIGN",
    "代签": "SIGN_ON_BEHALF",
    "退回": "RETURN",
    "退签": "RETURN",
    "拒签": "REJECTION",
    "疑难": "FAIL",
}


# --- errors --------------------------------------------------------------------------------------------
class Kuaidi100Error(Exception):
    """kuaidi100 answered and refused: `return_code` and its message; `reason` is for the merchant."""

    def __init__(self, return_code: str, message: str):
        self.return_code, self.message = str(return_code), message or ""
        super().__init__(f"{self.return_code} {self.message}")

    @property
    def reason(self) -> str:
        return merchant_reason(self.return_code, self.message)

    @property
    def other_courier_may_work(self) -> bool:
        """The courier refused this parcel (area, route, weight): another courier may take it."""
        return self.return_code in ("400", "500")


class Kuaidi100Unavailable(Exception):
    """No answer we can trust (timeout, connection refused, 5xx, not JSON): the outcome is unknown."""


# Business failures seen in kuaidi100's messages → what the merchant can do about them.
BUSINESS_REASONS: list[tuple[str, object]] = [
    ("风控", gettext_lazy("该快递在寄件地或收件地因风控暂不支持下单，请选择其他快递。")),
    ("中文字符个数较少", gettext_lazy("收件人详细地址太短，请补充街道、门牌号后重试。")),
    ("停派", gettext_lazy("目的地网点暂停派送，请选择其他快递。")),
    ("不开放", gettext_lazy("该区域暂未开放上门取件，请选择其他快递。")),
    ("德邦大件", gettext_lazy("包裹超过该快递的重量上限，请选择德邦等大件快递。")),
    ("未设置价格", gettext_lazy("该线路暂无报价，请选择其他快递。")),
]


def merchant_reason(return_code: str, message: str = "") -> str:
    """A reason the merchant can act on, for every documented return code (and known business failures)."""
    code = str(return_code)
    if code == "500":
        for needle, reason in BUSINESS_REASONS:
            if needle in (message or ""):
                return str(reason)
        return _("快递公司拒绝下单：%(m)s。请选择其他快递。") % {"m": message or _("未说明原因")}
    reasons = {
        "400": _("下单信息不完整或格式不正确：%(m)s。请检查后重试，或选择其他快递。"),
        "501": _("该包裹已提交过，不能重复下单。"),
        "503": _("快递100 签名校验失败：请在快递账号设置中检查 key 与 secret。"),
        "600": _("快递100 账号无效（非法用户）：请在快递账号设置中检查 key。"),
        "601": _("快递100 账号 key 已过期：请在快递100 续期后重新测试账号。"),
        "700": _("快递100 不接受本平台的回调地址，请联系平台客服。"),
    }
    if code in reasons:
        return reasons[code] % {"m": message or "-"} if "%(m)s" in reasons[code] else reasons[code]
    return _("快递100 返回错误 %(c)s：%(m)s") % {"c": code, "m": message or "-"}


# --- signing -------------------------------------------------------------------------------------------
def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 - the protocol's signature


def call_sign(param: str, t: str, key: str, secret: str) -> str:
    return md5_upper(param + t + key + secret)


def callback_sign(param: str, salt: str) -> str:
    return md5_upper(param + salt)


def callback_sign_ok(param: str, sign: str, salt: str) -> bool:
    return bool(salt) and hmac.compare_digest(callback_sign(param, salt), (sign or "").upper())


def to_fen(value) -> int | None:
    """Yuan as the protocol writes them ("12.5", 12.5, "") → integer fen."""
    if value in (None, ""):
        return None
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal(1)))
    except InvalidOperation:
        return None


def to_grams(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int((Decimal(str(value)) * 1000).quantize(Decimal(1)))
    except InvalidOperation:
        return None


# --- the client ----------------------------------------------------------------------------------------
class Kuaidi100Client:
    """One signed call to `borderapi.do`; raises Kuaidi100Error (refused) or Kuaidi100Unavailable (unknown)."""

    def __init__(self, *, endpoint: str, key: str, secret: str, timeout: float | None = None):
        self.endpoint, self.key, self._secret = endpoint, key, secret
        self.timeout = timeout if timeout is not None else settings.KUAIDI100_TIMEOUT_SECONDS

    def __repr__(self) -> str:
        return f"Kuaidi100Client({self.endpoint!r}, key={self.key[:4]}…)"

    def form(self, method: str, param: dict) -> dict[str, str]:
        text = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
        t = str(int(time.time() * 1000))
        return {
            "method": method,
            "key": self.key,
            "t": t,
            "param": text,
            "sign": call_sign(text, t, self.key, self._secret),
        }

    def call(self, method: str, param: dict):
        body = urllib.parse.urlencode(self.form(method, param)).encode()
        request = urllib.request.Request(
            self.endpoint, data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https/http only
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise Kuaidi100Unavailable(f"{method}: HTTP {exc.code}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise Kuaidi100Unavailable(f"{method}: {exc.__class__.__name__}")
        try:
            answer = json.loads(raw)
        except ValueError:
            raise Kuaidi100Unavailable(f"{method}: not JSON")
        if not isinstance(answer, dict):
            raise Kuaidi100Unavailable(f"{method}: unexpected answer")
        code = str(answer.get("returnCode", ""))
        if answer.get("result") is True and code in ("200", ""):
            return answer.get("data")
        error = Kuaidi100Error(code or "500", str(answer.get("message", "")))
        error.data = answer.get("data")
        raise error


# --- callbacks -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeeLine:
    fee_type: str
    description: str
    amount: int  # fen
    pay_status: int | None = None


@dataclass(frozen=True)
class StatusPush:
    """One order-status callback, as data. `digest` identifies the exact message (duplicates)."""

    digest: str
    status: int
    third_order_id: str = ""
    order_id: str = ""
    task_id: str = ""
    kuaidicom: str = ""
    waybill_no: str = ""
    message: str = ""
    courier_name: str = ""
    courier_mobile: str = ""
    weight_g: int | None = None
    freight: int | None = None
    def_price: int | None = None
    fee_details: tuple[FeeLine, ...] = ()
    occurred_at: datetime | None = None

    @property
    def name(self) -> str:
        return STATUSES.get(self.status, ("unknown", ""))[0]

    @property
    def label(self) -> str:
        return str(STATUSES.get(self.status, ("", _("未知状态 %(s)s") % {"s": self.status}))[1])

    @property
    def fee_total(self) -> int:
        if self.fee_details:
            return sum(f.amount for f in self.fee_details)
        return self.freight or 0


@dataclass(frozen=True)
class TracePoint:
    context: str
    occurred_at: datetime
    action: str


@dataclass(frozen=True)
class TracePush:
    digest: str
    waybill_no: str
    kuaidicom: str
    state: str  # polling | shutdown | abort | updateall
    points: tuple[TracePoint, ...] = field(default_factory=tuple)


def _digest(param: str) -> str:
    return hashlib.sha256(param.encode()).hexdigest()[:64]


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(str(value), fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def _verified_json(form: dict, salt: str) -> tuple[str, dict]:
    param, sign = str(form.get("param", "")), str(form.get("sign", ""))
    if not param or not callback_sign_ok(param, sign, salt):
        raise ValidationFailed("Bad signature.", code="bad_signature")
    try:
        data = json.loads(param)
        if not isinstance(data, dict):
            raise TypeError
    except (ValueError, TypeError):
        raise ValidationFailed("Malformed callback.", code="bad_body")
    return param, data


def parse_status_callback(form: dict, *, salt: str) -> StatusPush:
    """Verify `sign` with the account's salt, then read the order-status callback. Raises ValidationFailed."""
    param, body = _verified_json(form, salt)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    try:
        status = int(data.get("status", body.get("status")))
    except (TypeError, ValueError):
        raise ValidationFailed("Malformed callback.", code="bad_body")
    fees = []
    for line in data.get("feeDetails") or []:
        if isinstance(line, dict) and to_fen(line.get("amount")) is not None:
            fees.append(
                FeeLine(
                    fee_type=str(line.get("feeType", ""))[:30],
                    description=str(line.get("feeDesc", ""))[:60],
                    amount=to_fen(line.get("amount")),
                    pay_status=int(line["payStatus"]) if str(line.get("payStatus", "")).lstrip("-").isdigit() else None,
                )
            )
    return StatusPush(
        digest=_digest(param),
        status=status,
        third_order_id=str(data.get("thirdOrderId", ""))[:THIRD_ORDER_ID_MAX],
        order_id=str(data.get("orderId", ""))[:64],
        task_id=str(data.get("taskId", ""))[:64],
        kuaidicom=str(body.get("kuaidicom", data.get("kuaidicom", "")))[:30],
        waybill_no=str(body.get("kuaidinum") or data.get("kuaidinum") or "")[:30],
        message=str(data.get("message") or data.get("cancelMsg") or body.get("message") or "")[:200],
        courier_name=str(data.get("courierName", ""))[:30],
        courier_mobile=str(data.get("courierMobile", ""))[:20],
        weight_g=to_grams(data.get("weight")),
        freight=to_fen(data.get("freight")),
        def_price=to_fen(data.get("defPrice")),
        fee_details=tuple(fees),
        occurred_at=_parse_time(data.get("updateTime")) or timezone.now(),
    )


def parse_trace_callback(form: dict, *, salt: str) -> TracePush:
    """Verify and read the tracking push (`op` = 1 subscriptions)."""
    param, body = _verified_json(form, salt)
    last = body.get("lastResult") if isinstance(body.get("lastResult"), dict) else {}
    points = []
    for item in last.get("data") or []:
        if not isinstance(item, dict):
            continue
        when = _parse_time(item.get("ftime") or item.get("time"))
        if when is None:
            continue
        word = str(item.get("status", ""))
        action = next((a for k, a in TRACE_ACTIONS.items() if k in word), "OTHER")
        points.append(TracePoint(context=str(item.get("context", ""))[:200], occurred_at=when, action=action))
    return TracePush(
        digest=_digest(param),
        waybill_no=str(last.get("nu", ""))[:30],
        kuaidicom=str(last.get("com", ""))[:30],
        state=str(body.get("status", "")),
        points=tuple(sorted(points, key=lambda p: p.occurred_at)),
    )


CALLBACK_OK = {"result": True, "returnCode": "200", "message": "成功"}


# --- the adapter ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    kuaidi100_code: str
    price: int | None  # fen, discounted; None where kuaidi100 has no price for the line
    list_price: int | None = None
    first_price: int | None = None
    over_price: int | None = None
    service_type: str = ""


def pickup_fields(courier, pickup_date: date, pickup_slot: str, *, today: date | None = None) -> dict[str, str]:
    """`dayType` and the slot, as bOrder wants them; couriers that confirm no slot get only the day."""
    today = today or timezone.localdate()
    offset = (pickup_date - today).days
    if offset not in DAY_TYPES:
        raise ValidationFailed(_("该揽收时段不可预约，请重新选择。"), code="bad_pickup_slot")
    fields = {"dayType": DAY_TYPES[offset]}
    start, _sep, end = (pickup_slot or "").partition("-")
    slotted = courier.needs_pickup_slot or len(courier.pickup_slots) > 1  # one all-day slot confirms nothing
    if start and end and slotted:
        fields.update(pickupStartTime=start, pickupEndTime=end)
    elif courier.needs_pickup_slot:
        raise ValidationFailed(_("顺丰上门取件必须选择揽收时段。"), code="bad_pickup_slot")
    return fields


def merged_remark(parcel: ParcelRequest) -> str:
    """A merged parcel's (合并发货) `remark`: its orders and all their goods (`cargo` holds one short name)."""
    if not parcel.merged_refs:
        return ""
    orders = "、".join((parcel.order_ref, *parcel.merged_refs))
    text = _("合并发货 %(n)d 单：%(orders)s；%(goods)s") % {
        "n": 1 + len(parcel.merged_refs),
        "orders": orders,
        "goods": parcel.goods,
    }
    return clip_bytes(text, REMARK_MAX_BYTES)


def clip_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    return raw[:limit].decode(errors="ignore") if len(raw) > limit else text


class Kuaidi100Adapter(CarrierAdapter):
    """Bound to one store's courier account: quotes, books parcel by parcel, cancels, reads a booking."""

    name = "kuaidi100"

    def __init__(self, account, *, client: Kuaidi100Client | None = None):
        self.account = account
        self.client = client or Kuaidi100Client(
            endpoint=account.endpoint_url, key=account.key.reveal(), secret=account.secret.reveal()
        )

    # quotes
    def quote_many(self, couriers, *, weight_g: int, from_address: str, to_address: str) -> dict[str, Quote]:
        """batchPrice, at most 15 couriers a call: {kuaidi100 code: Quote}."""
        codes = [c.kuaidi100_code for c in couriers if c.kuaidi100_code]
        quotes: dict[str, Quote] = {}
        for i in range(0, len(codes), BATCH_PRICE_MAX):
            chunk = codes[i : i + BATCH_PRICE_MAX]
            data = self.client.call(
                "batchPrice",
                {
                    "kuaidiComList": chunk,
                    "sendManPrintAddr": clip_bytes(from_address, ADDRESS_MAX_BYTES),
                    "recManPrintAddr": clip_bytes(to_address, ADDRESS_MAX_BYTES),
                    "weight": f"{max(weight_g, 1) / 1000:.2f}",
                },
            )
            for row in data or []:
                if isinstance(row, dict) and row.get("kuaidiCom") in chunk:
                    quotes[row["kuaidiCom"]] = Quote(
                        kuaidi100_code=row["kuaidiCom"],
                        price=to_fen(row.get("price")),
                        list_price=to_fen(row.get("defPrice")),
                        first_price=to_fen(row.get("firstPrice")),
                        over_price=to_fen(row.get("overPrice")),
                        service_type=str(row.get("serviceType", "")),
                    )
        return quotes

    def quote(self, courier, *, weight_g: int, from_province: str, to_province: str) -> int:
        quote = self.quote_many([courier], weight_g=weight_g, from_address=from_province, to_address=to_province)
        found = quote.get(courier.kuaidi100_code)
        if found is None or found.price is None:
            return super().quote(courier, weight_g=weight_g, from_province=from_province, to_province=to_province)
        return found.price

    def test_connection(self) -> int:
        """A free price query; returns how many couriers answered with a price. Raises Kuaidi100Error/Unavailable."""
        quotes = self.quote_many(
            [SimpleNamespace(kuaidi100_code="shunfeng")],
            weight_g=1000,
            from_address="浙江省杭州市",
            to_address="上海市",
        )
        return len(quotes)

    # booking
    def order_param(self, courier, request: BatchRequest, parcel: ParcelRequest) -> dict:
        sender, recipient = request.sender, parcel.recipient
        param = {
            "kuaidicom": courier.kuaidi100_code,
            "recManName": recipient.name,
            "recManMobile": recipient.phone,
            "recManPrintAddr": clip_bytes(
                f"{recipient.province}{recipient.city}{recipient.district}{recipient.street}", ADDRESS_MAX_BYTES
            ),
            "sendManName": sender.name,
            "sendManMobile": sender.phone,
            "sendManPrintAddr": clip_bytes(
                f"{sender.province}{sender.city}{sender.district}{sender.street}", ADDRESS_MAX_BYTES
            ),
            "callBackUrl": self.account.callback_url("status"),
            "weight": f"{max(parcel.weight_g, 1) / 1000:.2f}",
            "payment": "SHIPPER",
            "thirdOrderId": parcel.ref[:THIRD_ORDER_ID_MAX],
            "salt": self.account.salt.reveal(),
            "op": "1",
            "pollCallBackUrl": self.account.callback_url("trace"),
            "remark": merged_remark(parcel),
        }
        if parcel.goods or courier.needs_cargo:
            param["cargo"] = (parcel.goods or _("日用品"))[:20]
        param.update(pickup_fields(courier, request.pickup_date, request.pickup_slot))
        return param

    def _book_one(self, courier, request: BatchRequest, parcel: ParcelRequest) -> ParcelResult:
        price = None
        try:
            quote = self.quote_many(
                [courier],
                weight_g=parcel.weight_g,
                from_address=f"{request.sender.province}{request.sender.city}",
                to_address=f"{parcel.recipient.province}{parcel.recipient.city}",
            ).get(courier.kuaidi100_code)
            price = quote.price if quote else None
        except (Kuaidi100Error, Kuaidi100Unavailable) as exc:  # the price is a forecast; booking goes on
            logger.info("kuaidi100 price for %s failed: %s", parcel.ref, exc)
        try:
            data = self.client.call("bOrder", self.order_param(courier, request, parcel))
        except Kuaidi100Error as exc:
            if exc.return_code == "501" and isinstance(getattr(exc, "data", None), dict):
                data = exc.data  # booked by an earlier attempt whose answer was lost: the same booking
            else:
                return ParcelResult(
                    order_ref=parcel.order_ref, ok=False, failure_reason=exc.reason[:200], ref=parcel.ref
                )
        except Kuaidi100Unavailable as exc:
            logger.warning("kuaidi100 bOrder %s: outcome unknown (%s)", parcel.ref, exc)
            return ParcelResult(order_ref=parcel.order_ref, ok=False, unknown=True, ref=parcel.ref)
        except ValidationFailed as exc:
            return ParcelResult(order_ref=parcel.order_ref, ok=False, failure_reason=exc.message[:200], ref=parcel.ref)
        data = data if isinstance(data, dict) else {}
        return ParcelResult(
            order_ref=parcel.order_ref,
            ok=True,
            ref=parcel.ref,
            waybill_no=str(data.get("kuaidinum") or "")[:30],
            carrier_task_id=str(data.get("taskId") or "")[:64],
            carrier_order_id=str(data.get("orderId") or "")[:64],
            predicted_price=price,
        )

    def book_each(self, courier, request: BatchRequest) -> Iterator[ParcelResult]:
        """One bOrder per parcel, at most KUAIDI100_BOOKING_CONCURRENCY at a time, yielded as each answers."""
        workers = max(1, min(settings.KUAIDI100_BOOKING_CONCURRENCY, len(request.parcels)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kuaidi100") as pool:
            futures = [pool.submit(self._book_one, courier, request, p) for p in request.parcels]
            for future in as_completed(futures):
                yield future.result()

    def book_batch(self, courier, request: BatchRequest) -> list[ParcelResult]:
        return list(self.book_each(courier, request))

    def cancel(self, courier, *, waybill_no: str = "", task_id: str = "", order_id: str = "", reason: str = "") -> bool:
        if not task_id:
            return False
        self.client.call(
            "cancel", {"taskId": task_id, "orderId": order_id, "cancelMsg": (reason or "商家取消")[:CANCEL_MSG_MAX]}
        )
        return True

    def detail(self, *, task_id: str) -> dict:
        data = self.client.call("detail", {"taskId": task_id})
        return data if isinstance(data, dict) else {}

    def track(self, courier, *, waybill_no: str):
        return []  # tracking arrives by push (`op` = 1); `detail` reconciles the booking itself

    def send_message(self, courier, *, waybill_no: str, topic: str, body: str) -> None:
        return None  # kuaidi100 has no service-desk channel: the conversation stays on the platform
