"""How the after-sales app's audit rows read on timelines: one phrase per verb."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.audit import verbs

verbs(
    "aftersales.AftersalesRequest",
    {
        "revise": _("买家修改申请"),
        "approve": _("同意申请"),
        "reject": _("拒绝申请"),
        "await_return": _("提供退货地址，等待买家退货"),
        "submit_return": _("买家寄回商品"),
        "track_return_delivered": _("退货已签收"),
        "receive_return": _("确认收到退货"),
        "mark_refunded": _("退款完成"),
        "ship_exchange": _("换货已发出"),
        "ship_resend": _("补发已发出"),
        "ship_repaired": _("维修后已寄回"),
        "escalate": _("买家申请平台介入"),
        "decide": _("平台作出裁决"),
        "close": _("申请关闭"),
        "propose_offer": _("商家提出协商（部分退款）"),
        "accept_offer": _("买家接受协商"),
        "decline_offer": _("买家拒绝协商"),
    },
)
verbs("aftersales.Complaint", {"uphold": _("投诉成立"), "dismiss": _("投诉不成立")})
verbs("aftersales.Review", {"reply": _("商家回复"), "hide": _("隐藏评价"), "unhide": _("恢复显示评价")})
