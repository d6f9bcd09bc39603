"""Couriers as data (DOMAIN.md): platform id and code, service level, special goods, coverage,
price table (fen: first kg, each kg 1–3 kg, each kg above 3 kg, by zone band), pickup slots."""

import datetime

from django.db import migrations

HOURLY = [f"{h:02d}:00-{h + 1:02d}:00" for h in range(9, 22)]
SAME_DAY = ["09:00-19:00"]

COURIERS = [
    # code, platform id, name, service level, cold chain, accepts, excluded zones, prices, slots, cutoff,
    # waybill prefix, digits, phone, pushes webhooks
    ("SF", 44, "顺丰速运", "次日达", ["ambient", "chilled", "frozen"], ["fresh", "frozen", "fragile"], [],
     {"local": [1200, 300, 400], "near": [1400, 400, 500], "far": [1800, 600, 700], "remote": [2600, 1200, 1400]},
     HOURLY, None, "SF", 13, "95338", True),
    ("ZTO", 115, "中通快递", "标准快递", ["ambient"], ["fragile", "bulky"], ["outlying"],
     {"local": [500, 100, 150], "near": [600, 150, 200], "far": [800, 250, 300], "remote": [1500, 800, 900]},
     SAME_DAY, datetime.time(17, 0), "7", 13, "95311", True),
    ("YTO", 85, "圆通速递", "标准快递", ["ambient"], ["fragile"], ["outlying"],
     {"local": [500, 100, 150], "near": [600, 150, 200], "far": [800, 250, 300], "remote": [1500, 800, 900]},
     ["09:00-12:00", "12:00-16:00", "16:00-19:00"], None, "YT", 13, "95554", True),
    ("STO", 1, "申通快递", "标准快递", ["ambient"], [], ["remote", "outlying"],
     {"local": [450, 100, 150], "near": [550, 150, 200], "far": [750, 250, 300], "remote": [1500, 800, 900]},
     SAME_DAY, datetime.time(17, 0), "268", 10, "95543", True),
    ("YUNDA", 121, "韵达快递", "标准快递", ["ambient"], ["fragile"], ["remote", "outlying"],
     {"local": [450, 100, 150], "near": [550, 150, 200], "far": [750, 250, 300], "remote": [1500, 800, 900]},
     ["09:00-14:00", "14:00-19:00"], None, "10", 11, "95546", True),
    ("JTSD", 384, "极兔速递", "经济快递", ["ambient"], [], ["remote", "outlying"],
     {"local": [400, 100, 120], "near": [500, 120, 180], "far": [700, 200, 260], "remote": [1400, 800, 900]},
     ["09:00-14:00", "14:00-19:00"], None, "JT", 13, "956025", True),
    ("JD", 120, "京东物流", "特快送", ["ambient", "chilled", "frozen", "deep_frozen"],
     ["fresh", "frozen", "bulky", "fragile"], ["outlying"],
     {"local": [900, 200, 300], "near": [1100, 300, 400], "far": [1500, 500, 600], "remote": [2200, 1000, 1200]},
     ["09:00-12:00", "12:00-15:00", "15:00-18:00", "18:00-21:00"], None, "JD", 13, "950616", True),
    ("EMS", 118, "中国邮政 EMS", "标准快递", ["ambient"], ["fragile", "bulky"], [],
     {"local": [800, 200, 300], "near": [1000, 300, 400], "far": [1300, 400, 500], "remote": [1600, 600, 700]},
     SAME_DAY, datetime.time(17, 0), "98", 11, "11183", False),
]


def load(apps, schema_editor):
    Courier = apps.get_model("shipping", "Courier")
    for sort, row in enumerate(COURIERS):
        (code, platform_id, name, level, cold, accepts, excluded, prices, slots, cutoff, prefix, digits, phone,
         pushes) = row
        Courier.objects.update_or_create(
            code=code,
            defaults={
                "platform_id": platform_id, "name": name, "service_level": level, "cold_chain_levels": cold,
                "accepts": accepts, "excluded_zones": excluded, "price_table": prices, "pickup_slots": slots,
                "same_day_cutoff": cutoff, "waybill_prefix": prefix, "waybill_digits": digits,
                "service_phone": phone, "pushes_webhooks": pushes, "sort": sort,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("shipping", "Courier").objects.filter(code__in=[c[0] for c in COURIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
