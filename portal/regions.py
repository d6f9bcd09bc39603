"""Mainland China regions: provinces and their shipping zones.

Zones drive courier price tables (first weight + additional weight by zone) and coverage.
City/district validation uses the bundled list in portal/data (see `validate_address`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed

# Province-level divisions (short names as addresses use them) → shipping zone.
PROVINCE_ZONES: dict[str, str] = {
    "北京市": "north", "天津市": "north", "河北省": "north", "山西省": "north", "内蒙古自治区": "north",
    "辽宁省": "northeast", "吉林省": "northeast", "黑龙江省": "northeast",
    "上海市": "east", "江苏省": "east", "浙江省": "east", "安徽省": "east", "福建省": "east",
    "江西省": "east", "山东省": "east",
    "河南省": "central", "湖北省": "central", "湖南省": "central",
    "广东省": "south", "广西壮族自治区": "south", "海南省": "south",
    "重庆市": "southwest", "四川省": "southwest", "贵州省": "southwest", "云南省": "southwest",
    "西藏自治区": "remote",
    "陕西省": "northwest", "甘肃省": "northwest", "青海省": "northwest", "宁夏回族自治区": "northwest",
    "新疆维吾尔自治区": "remote",
    "台湾省": "outlying", "香港特别行政区": "outlying", "澳门特别行政区": "outlying",
}  # fmt: skip

PROVINCES: list[str] = list(PROVINCE_ZONES)
ZONES = ["north", "northeast", "east", "central", "south", "southwest", "northwest", "remote", "outlying"]


def zone_of(province: str) -> str | None:
    return PROVINCE_ZONES.get(province)


def zone_distance(a: str, b: str) -> str:
    """Price band between two zones: same zone, neighbouring, far, or remote (Tibet, Xinjiang, outlying)."""
    if "remote" in (a, b) or "outlying" in (a, b):
        return "remote"
    if a == b:
        return "local"
    near = {
        frozenset({"north", "northeast"}), frozenset({"north", "central"}), frozenset({"north", "east"}),
        frozenset({"east", "central"}), frozenset({"central", "south"}), frozenset({"central", "southwest"}),
        frozenset({"south", "southwest"}), frozenset({"northwest", "north"}), frozenset({"northwest", "southwest"}),
        frozenset({"east", "south"}),
    }  # fmt: skip
    return "near" if frozenset({a, b}) in near else "far"


# Cities and districts: built once from the adcodes list bundled with the public `cpca` 0.5.5 package
# ({province: {city: [district, ...]}}; municipalities list themselves as their only city, and
# county-level cities without districts list themselves as their only district).
REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.json"


@cache
def regions() -> dict[str, dict[str, list[str]]]:
    return json.loads(REGIONS_FILE.read_text(encoding="utf-8"))


def cities_of(province: str) -> list[str]:
    return list(regions().get(province, {}))


def districts_of(province: str, city: str) -> list[str]:
    return regions().get(province, {}).get(city, [])


def validate_address(province: str, city: str, district: str) -> None:
    """Raise ValidationFailed (field errors) unless province, city and district exist and nest.

    Outlying regions without a bundled city list accept any non-empty city and district.
    """
    if province not in regions():
        raise ValidationFailed(_("地址不在行政区划列表中。"), fields={"province": [_("省份不存在。")]})
    cities = regions()[province]
    if not cities:
        missing = {name: [_("请填写。")] for name, value in (("city", city), ("district", district)) if not value}
        if missing:
            raise ValidationFailed(_("地址不在行政区划列表中。"), fields=missing)
        return
    if city not in cities:
        raise ValidationFailed(_("地址不在行政区划列表中。"), fields={"city": [_("该省份下没有这个城市。")]})
    if district not in cities[city]:
        raise ValidationFailed(_("地址不在行政区划列表中。"), fields={"district": [_("该城市下没有这个区县。")]})
