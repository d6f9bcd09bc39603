"""The merchant back office's left navigation, in one place.

An entry whose URL does not exist (yet) is left out, so the menu grows as apps add pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    group: str = ""


NAV: list[NavItem] = [
    NavItem(_("工作台"), "home"),
    NavItem(_("店铺信息"), "shop:store_detail", _("店铺")),
    NavItem(_("店铺评估"), "shop:evaluation", _("店铺")),
    NavItem(_("资金"), "shop:funds", _("店铺")),
    NavItem(_("商品列表"), "shop:product_list", _("商品")),
    NavItem(_("营销活动"), "shop:promotion_list", _("商品")),
    NavItem(_("订单查询"), "shop:order_list", _("订单")),
    NavItem(_("在线下单"), "shipping:booking_centre", _("发货中心")),
    NavItem(_("包裹跟踪"), "shipping:shipment_list", _("发货中心")),
    NavItem(_("发货地址"), "shipping:address_list", _("发货中心")),
    NavItem(_("快递账号"), "shipping:courier_account", _("发货中心")),
    NavItem(_("售后管理"), "aftersales:request_list", _("售后")),
    NavItem(_("评价管理"), "aftersales:review_list", _("评价")),
    NavItem(_("经营数据"), "data", _("数据")),
    NavItem(_("消息中心"), "inbox", _("设置")),
    NavItem(_("通知设置"), "notification_prefs", _("设置")),
    NavItem(_("开放接口"), "api_keys", _("设置")),
]


@cache
def _url(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def nav_items(path: str) -> list[tuple[NavItem, str, bool]]:
    """(item, url, active) for every entry whose page exists; the longest URL prefixing the path is active."""
    items = [(item, url) for item in NAV if (url := _url(item.url_name))]
    matches = [url for _item, url in items if path == url or (url != "/" and path.startswith(url))]
    active = max(matches, key=len, default=None)
    return [(item, url, url == active) for item, url in items]
