"""A protocol double of kuaidi100 商家寄件: a small HTTP server for tests and the demo (127.0.0.1 only).

It checks what the documentation requires (form fields, the MD5 `sign`, the key, the required and
size-limited parameters), answers in the documented shapes, keeps its own bookings, and replays
callbacks to the `callBackUrl` / `pollCallBackUrl` of a booking signed with its `salt`, the way
kuaidi100 does. Faults are injected per call: a business refusal, a 5xx, a slow answer (the
booking is made, the answer comes too late: what a client timeout looks like).

    fake = FakeKuaidi100(accounts={"KEY": "SECRET"}).start()
    fake.url            # http://127.0.0.1:<port>/api/order/borderapi.do
    fake.push(task_id, 1, courierName="王师傅", courierMobile="13800000000")
    fake.stop()

Assumptions to check against the official document when a real account is connected: a repeated
`thirdOrderId` answers 501 with the first booking's `data`; the status callback's `data` carries
`taskId` and `thirdOrderId` beside `orderId`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from .kuaidi100 import (
    ADDRESS_MAX_BYTES,
    BATCH_PRICE_MAX,
    BEIJING,
    CALLBACK_URL_MAX_BYTES,
    CANCEL_MSG_MAX,
    CARGO_REQUIRED,
    SLOT_REQUIRED,
    THIRD_ORDER_ID_MAX,
    call_sign,
    callback_sign,
)

PATH = "/api/order/borderapi.do"
BORDER_REQUIRED = (
    "kuaidicom",
    "recManName",
    "recManMobile",
    "recManPrintAddr",
    "sendManName",
    "sendManMobile",
    "sendManPrintAddr",
    "callBackUrl",
)
# Yuan per first kg and per additional kg, by kuaidi100 code (a flat demo table).
PRICES = {
    "shunfeng": (12.0, 4.0),
    "jd": (10.0, 3.0),
    "debangkuaidi": (15.0, 2.0),
    "jtexpress": (5.0, 1.5),
    "yuantong": (5.5, 1.5),
    "shentong": (5.0, 1.5),
    "zhongtong": (5.5, 1.5),
    "yunda": (5.0, 1.5),
    "ems": (9.0, 3.0),
}
WAYBILLS = {
    "shunfeng": ("SF", 13),
    "jd": ("JD", 13),
    "debangkuaidi": ("DPK", 12),
    "jtexpress": ("JT", 13),
    "yuantong": ("YT", 13),
    "shentong": ("268", 10),
    "zhongtong": ("7", 13),
    "yunda": ("10", 11),
    "ems": ("98", 11),
}


@dataclass
class FakeOrder:
    task_id: str
    order_id: str
    third_order_id: str
    kuaidicom: str
    param: dict
    waybill_no: str
    status: int = 0
    courier_name: str = ""
    courier_mobile: str = ""
    fees: list = field(default_factory=list)
    pay_status: int = 0


class Refusal(Exception):
    def __init__(self, code: str, message: str, data=None):
        self.code, self.message, self.data = code, message, data


class FakeKuaidi100:
    def __init__(self, accounts: dict[str, str] | None = None):
        self.accounts = dict(accounts or {})  # key → secret
        self.orders: dict[str, FakeOrder] = {}
        self.calls: list[tuple[str, dict]] = []  # (method, param) of every signed, accepted call
        self.rejected: list[tuple[str, str]] = []  # (method, returnCode) of refused calls
        self.faults: dict[str, list[tuple]] = {}  # method → queued faults
        self.business_failures: dict[str, str] = {}  # kuaidicom → message refusing every bOrder
        self.sent_callbacks: list[dict] = []
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- running ------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeKuaidi100:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                status, body = fake.handle(self.path, form)
                raw = json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

            def log_message(self, *args):
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-kuaidi100").start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    # --- faults ------------------------------------------------------------------------------------
    def fail_next(self, method: str, *, code: str = "500", message: str = "服务器错误", times: int = 1) -> None:
        """The next call(s) of `method` are refused with this returnCode and message."""
        self.faults.setdefault(method, []).extend([("refuse", code, message)] * times)

    def http_error_next(self, method: str, *, status: int = 502, times: int = 1) -> None:
        self.faults.setdefault(method, []).extend([("http", status)] * times)

    def slow_next(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Do the work, then answer after `seconds` (a client with a shorter timeout never sees it)."""
        self.faults.setdefault(method, []).extend([("slow", seconds)] * times)

    def _fault(self, method: str):
        with self._lock:
            queue = self.faults.get(method) or []
            return queue.pop(0) if queue else None

    # --- the API ------------------------------------------------------------------------------------
    def handle(self, path: str, form: dict) -> tuple[int, dict]:
        if path.split("?")[0] != PATH:
            return 404, {"result": False, "returnCode": "404", "message": "not found"}
        method = form.get("method", "")
        fault = self._fault(method)
        if fault and fault[0] == "http":
            return fault[1], {"message": "bad gateway"}
        try:
            if fault and fault[0] == "refuse":
                raise Refusal(fault[1], fault[2])
            param = self._verify(form)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise Refusal("400", f"不支持的方法 {method}")
            data = handler(param)
            with self._lock:
                self.calls.append((method, param))
            body = {"result": True, "returnCode": "200", "message": "提交成功", "data": data}
        except Refusal as exc:
            with self._lock:
                self.rejected.append((method, exc.code))
            body = {"result": False, "returnCode": exc.code, "message": exc.message, "data": exc.data}
        if fault and fault[0] == "slow":
            time.sleep(fault[1])
        return 200, body

    def _verify(self, form: dict) -> dict:
        for name in ("method", "key", "t", "param", "sign"):
            if not form.get(name):
                raise Refusal("400", f"缺少参数 {name}")
        secret = self.accounts.get(form["key"])
        if secret is None:
            raise Refusal("600", "非法用户")
        if secret == "EXPIRED":
            raise Refusal("601", "key已过期")
        if not form["t"].isdigit() or abs(time.time() * 1000 - int(form["t"])) > 10 * 60 * 1000:
            raise Refusal("400", "t 参数错误")
        if call_sign(form["param"], form["t"], form["key"], secret) != form["sign"]:
            raise Refusal("503", "验证签名失败")
        try:
            param = json.loads(form["param"])
        except ValueError:
            raise Refusal("400", "param 不是合法的 JSON")
        if not isinstance(param, dict):
            raise Refusal("400", "param 不是合法的 JSON")
        return param

    def _price(self, code: str, weight: float) -> dict:
        first, over = PRICES[code]
        extra = max(0, int(-(-weight // 1)) - 1)
        total = first + over * extra
        return {
            "kuaidiCom": code,
            "price": f"{total * 0.8:.2f}",
            "defPrice": f"{total:.2f}",
            "firstPrice": f"{first:.2f}",
            "overPrice": f"{over:.2f}",
            "serviceType": "标准快递",
        }

    def _m_batchPrice(self, param: dict) -> list:  # noqa: N802 - the protocol's method name
        codes = param.get("kuaidiComList")
        if not isinstance(codes, list) or not codes:
            raise Refusal("400", "kuaidiComList 不能为空")
        if len(codes) > BATCH_PRICE_MAX:
            raise Refusal("400", f"kuaidiComList 最多 {BATCH_PRICE_MAX} 个")
        if not param.get("sendManPrintAddr") or not param.get("recManPrintAddr"):
            raise Refusal("400", "寄件地址和收件地址不能为空")
        weight = float(param.get("weight") or 1)
        return [
            self._price(c, weight) if c in PRICES else {"kuaidiCom": c, "price": None, "defPrice": None} for c in codes
        ]

    def _m_price(self, param: dict) -> dict:
        code = param.get("kuaidiCom") or param.get("kuaidicom")
        if code not in PRICES:
            raise Refusal("500", "当前线路未设置价格")
        return self._price(code, float(param.get("weight") or 1))

    def _m_bOrder(self, param: dict) -> dict:  # noqa: N802
        for name in BORDER_REQUIRED:
            if not str(param.get(name, "")).strip():
                raise Refusal("400", f"{name} 不能为空")
        code = param["kuaidicom"]
        if code not in PRICES:
            raise Refusal("400", f"不支持的快递公司编码 {code}")
        for name in ("recManPrintAddr", "sendManPrintAddr"):
            if len(param[name].encode()) > ADDRESS_MAX_BYTES:
                raise Refusal("400", f"{name} 超过 {ADDRESS_MAX_BYTES} 字节")
        if len(param["callBackUrl"].encode()) > CALLBACK_URL_MAX_BYTES:
            raise Refusal("700", "回调地址过长")
        if not param["callBackUrl"].startswith(("http://", "https://")):
            raise Refusal("700", "回调地址不合法")
        if code in CARGO_REQUIRED and not param.get("cargo"):
            raise Refusal("400", "cargo 不能为空")
        if param.get("dayType") not in (None, "今天", "明天", "后天"):
            raise Refusal("400", "dayType 只能是今天、明天、后天")
        if code in SLOT_REQUIRED and not (param.get("pickupStartTime") and param.get("pickupEndTime")):
            raise Refusal("400", "顺丰必须填写预约取件时间")
        if len(str(param.get("thirdOrderId", ""))) > THIRD_ORDER_ID_MAX or len(str(param.get("salt", ""))) > 100:
            raise Refusal("400", "thirdOrderId 或 salt 过长")
        if str(param.get("op", "0")) == "1" and not param.get("pollCallBackUrl"):
            raise Refusal("400", "op=1 时 pollCallBackUrl 不能为空")
        if code in self.business_failures:
            raise Refusal("500", self.business_failures[code])
        street = param["recManPrintAddr"]
        if sum("\u4e00" <= ch <= "\u9fff" for ch in street) < 6:
            raise Refusal("500", "收件人详细地址中含有的中文字符个数较少")
        third = str(param.get("thirdOrderId", ""))
        with self._lock:
            if third:
                for existing in self.orders.values():
                    if existing.third_order_id == third:
                        raise Refusal("501", "重复提交", data=self._order_data(existing))
            n = next(self._seq)
            prefix, digits = WAYBILLS[code]
            waybill = "" if code == "yunda" else f"{prefix}{n:0{digits}d}"
            order = FakeOrder(
                task_id=f"T{n:08d}",
                order_id=f"O{n:08d}",
                third_order_id=third,
                kuaidicom=code,
                param=param,
                waybill_no=waybill,
            )
            self.orders[order.task_id] = order
        return self._order_data(order)

    @staticmethod
    def _order_data(order: FakeOrder) -> dict:
        return {
            "taskId": order.task_id,
            "orderId": order.order_id,
            "kuaidinum": order.waybill_no,
            "pollToken": f"poll-{order.task_id}",
        }

    def _m_cancel(self, param: dict) -> None:
        order = self.orders.get(str(param.get("taskId", "")))
        if order is None:
            raise Refusal("400", "taskId 不存在")
        if len(str(param.get("cancelMsg", ""))) > CANCEL_MSG_MAX:
            raise Refusal("400", f"cancelMsg 最多 {CANCEL_MSG_MAX} 个字")
        if order.status in (10, 101, 400, 13, 14, 15):
            raise Refusal("500", "快递员已取件，不能取消")
        order.status = 99
        return

    def _m_detail(self, param: dict) -> dict:
        order = self.orders.get(str(param.get("taskId", "")))
        if order is None:
            raise Refusal("400", "taskId 不存在")
        return {
            "taskId": order.task_id,
            "orderId": order.order_id,
            "thirdOrderId": order.third_order_id,
            "kuaidiCom": order.kuaidicom,
            "kuaidiNum": order.waybill_no,
            "status": order.status,
            "courierName": order.courier_name,
            "courierMobile": order.courier_mobile,
            "dayType": order.param.get("dayType", ""),
            "pickupStartTime": order.param.get("pickupStartTime", ""),
            "pickupEndTime": order.param.get("pickupEndTime", ""),
            "feeDetails": order.fees,
            "payStatus": order.pay_status,
        }

    # --- callbacks ------------------------------------------------------------------------------------
    def find(self, third_order_id: str) -> FakeOrder:
        return next(o for o in self.orders.values() if o.third_order_id == third_order_id)

    def callback(self, task_id: str, status: int, **data) -> tuple[str, dict]:
        """Move the booking to `status` and build its signed status callback: (callBackUrl, form)."""
        order = self.orders[task_id]
        order.status = status
        if status == 0 and order.kuaidicom == "yunda" and not order.waybill_no:
            prefix, digits = WAYBILLS["yunda"]
            order.waybill_no = f"{prefix}{int(order.task_id[1:]):0{digits}d}"
        if status == 1:
            order.courier_name = data.get("courierName", "王师傅")
            order.courier_mobile = data.get("courierMobile", "13800000000")
        if status in (15, 155) and data.get("feeDetails"):
            order.fees.extend(data["feeDetails"])
            order.pay_status = 1
        body = {
            "kuaidicom": order.kuaidicom,
            "kuaidinum": order.waybill_no,
            "status": "200",
            "message": "成功",
            "data": {
                "orderId": order.order_id,
                "taskId": order.task_id,
                "thirdOrderId": order.third_order_id,
                "status": status,
                "courierName": order.courier_name,
                "courierMobile": order.courier_mobile,
                "updateTime": timezone.localtime(timezone=BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                **data,
            },
        }
        param = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return order.param["callBackUrl"], {"param": param, "sign": callback_sign(param, order.param.get("salt", ""))}

    def trace(self, task_id: str, points: list[tuple[str, str]], *, state: str = "polling") -> tuple[str, dict]:
        """A signed tracking push: points are (status word, context), timed a minute apart from now."""
        order = self.orders[task_id]
        now = timezone.localtime(timezone=BEIJING)
        data = [
            {
                "context": context,
                "status": word,
                "time": (now + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S"),
                "ftime": (now + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S"),
            }
            for i, (word, context) in enumerate(points)
        ]
        body = {
            "status": state,
            "message": "",
            "lastResult": {"nu": order.waybill_no, "com": order.kuaidicom, "state": "0", "data": data[::-1]},
        }
        param = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return order.param["pollCallBackUrl"], {
            "param": param,
            "sign": callback_sign(param, order.param.get("salt", "")),
        }

    def push(self, task_id: str, status: int, *, deliver: Callable[[str, dict], dict] | None = None, **data) -> dict:
        """Build the status callback and deliver it (HTTP POST by default), retrying as kuaidi100 does (3 in all)."""
        url, form = self.callback(task_id, status, **data)
        return self.deliver(url, form, deliver=deliver)

    def deliver(self, url: str, form: dict, *, deliver: Callable[[str, dict], dict] | None = None) -> dict:
        send = deliver or http_post
        answer: dict = {}
        for _attempt in range(3):
            try:
                answer = send(url, form)
            except OSError:
                answer = {}
            if answer.get("result") is True and str(answer.get("returnCode")) == "200":
                break
        self.sent_callbacks.append({"url": url, "form": form, "answer": answer})
        return answer


def http_post(url: str, form: dict) -> dict:
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 in tests
            return json.loads(response.read() or b"{}")
    except (OSError, ValueError):
        return {}
