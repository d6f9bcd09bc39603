"""The merchant back office's left navigation, in one place.

An entry whose URL does not exist (yet) is left out, so the menu grows as apps add pages. Before the
store opens, only what its stage allows is shown (`ONBOARDING` entries): the application, the deposit
and the messages; products, orders, shipping and the rest appear once the store has opened.
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
    before_opening: bool = False  # shown while the store is still being set up (onboarding)


NAV: list[NavItem] = [
    NavItem(_("工作台"), "home", before_opening=True),
    NavItem(_("店铺信息"), "shop:store_detail", _("店铺"), before_opening=True),
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
    NavItem(_("消息中心"), "inbox", _("设置"), before_opening=True),
    NavItem(_("通知设置"), "notification_prefs", _("设置"), before_opening=True),
    NavItem(_("开放接口"), "api_keys", _("设置")),
]


@cache
def _url(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def stage_allows(item: NavItem, store) -> bool:
    """A store that has never opened (or no store yet) sees only the onboarding entries."""
    if not store or not store.has_opened():
        return item.before_opening
    return True


def nav_items(path: str, store=None, *, staged: bool = False) -> list[tuple[NavItem, str, bool]]:
    """(item, url, active) for every entry whose page exists (and, when `staged`, that the store's stage
    allows); the longest URL prefixing the path is active."""
    items = [(item, url) for item in NAV if (url := _url(item.url_name)) and (not staged or stage_allows(item, store))]
    matches = [url for _item, url in items if path == url or (url != "/" and path.startswith(url))]
    active = max(matches, key=len, default=None)
    return [(item, url, url == active) for item, url in items]
