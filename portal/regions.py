"""Mainland China regions: provinces and their shipping zones.

Zones drive courier price tables (first weight + additional weight by zone) and coverage.
City/district validation uses the bundled list in portal/data (see `validate_address`).
"""

from __future__ import annotations

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
