"""How the shipping app's audit rows read on timelines, and couriers named on them (顺丰快递)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.audit import actor_namer, verbs
from portal.status import tones

from .models import Courier

verbs(
    "shipping.Shipment",
    {
        "confirm": _("快递接单"),
        "pick_up": _("快递揽收"),
        "depart": _("运输中"),
        "send_out": _("派送中"),
        "sign": _("已签收"),
        "fail": _("包裹异常"),
        "cancel": _("取消下单"),
        "reject": _("快递拒绝接单"),
        "return_to_sender": _("退回寄件人"),
        "print_label": _("打印面单"),
        "reprint_label": _("重新打印面单"),
    },
)
verbs("shipping.PlatformTicket", {"create": _("向平台投诉"), "resolve": _("平台处理完毕")})


@actor_namer("courier")
def courier_name(code: str) -> str:
    """A courier's name from the Courier table (``courier:SF`` → 顺丰速运)."""
    return Courier.objects.filter(code=code).values_list("name", flat=True).first() or ""


# Badge tones of parcel statuses (portal.status).
tones(
    "shipping.Shipment",
    {
        "delivered": "ok",
        "exception": "bad",
        "failed": "bad",
        "cancelled": "muted",
        "returned": "muted",
        "requested": "warn",
    },
)
