"""Run the kuaidi100 protocol double for the demo: 127.0.0.1:8100, moving every booking on a clock.

    manage.py kuaidi100_fake --key DEMOKEY --secret DEMOSECRET [--port 8100] [--step 20]

Connect the store's account on 发货中心 → 快递账号 with the same key and secret, environment "test".
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from shipping.carriers.kuaidi100_fake import FakeKuaidi100

NEXT = {0: 1, 1: 10, 10: 15, 15: 101, 101: 400, 400: 13}


class Command(BaseCommand):
    help = "Run the fake kuaidi100 商家寄件 server (127.0.0.1 only) and replay its callbacks on a clock."

    def add_arguments(self, parser):
        parser.add_argument("--key", default="DEMOKEY")
        parser.add_argument("--secret", default="DEMOSECRET")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--step", type=float, default=20.0, help="seconds between two statuses of a booking")

    def handle(self, *args, key: str, secret: str, port: int, step: float, **options):
        fake = FakeKuaidi100(accounts={key: secret}).start(port=port)
        self.stdout.write(f"fake kuaidi100 at {fake.url} (key {key}); Ctrl-C to stop")
        try:
            while True:
                time.sleep(step)
                for order in list(fake.orders.values()):
                    status = 0 if order.kuaidicom == "yunda" and not order.waybill_no else NEXT.get(order.status)
                    if status is None:
                        continue
                    extra = {}
                    if status == 10:
                        extra = {"weight": order.param.get("weight", "1")}
                    if status == 15:
                        first = fake._price(order.kuaidicom, float(order.param.get("weight") or 1))["price"]
                        extra = {"weight": order.param.get("weight", "1"), "feeDetails": [
                            {"feeType": "TRANSPORT", "feeDesc": "运费", "amount": first, "payStatus": 1}]}  # fmt: skip
                    answer = fake.push(order.task_id, status, **extra)
                    self.stdout.write(f"{order.third_order_id} → {status}: {answer.get('returnCode', 'no answer')}")
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
