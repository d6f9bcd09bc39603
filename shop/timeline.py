"""How the shop app's audit rows read on timelines (portal.audit): one phrase per verb."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.audit import verbs
from portal.status import tones

verbs(
    "shop.Store",
    {
        "submit": _("提交入驻申请"),
        "approve": _("审核通过"),
        "reject": _("审核驳回"),
        "mark_deposit_paid": _("缴纳保证金"),
        "sign_agreement": _("签署入驻协议"),
        "open": _("店铺开业"),
        "suspend": _("暂停经营"),
        "reinstate": _("恢复经营"),
        "start_closing": _("申请关店"),
        "close": _("店铺关闭"),
    },
)
verbs(
    "shop.StoreDocument",
    {"approve": _("资料审核通过"), "reject": _("资料被驳回"), "replace": _("重新上传资料")},
)
verbs(
    "shop.Product",
    {"put_on_sale": _("上架"), "take_off_shelf": _("下架"), "copy": _("复制自另一商品"), "image_delete": _("删除图片")},
)
verbs(
    "shop.Order",
    {
        "pay": _("买家付款"),
        "pay_into_group": _("买家付款，等待成团"),
        "form_group": _("拼团成功"),
        "cancel": _("取消订单"),
        "ship": _("发货"),
        "reship": _("修改运单"),
        "flag_fake_shipping": _("判定虚假发货"),
        "extend_receipt": _("延长收货"),
        "change_address": _("买家修改收货地址"),
        "change_buyer_note": _("买家修改留言"),
        "set_risk_hold": _("风控状态变更"),
        "deliver": _("买家签收"),
        "complete": _("确认收货，交易完成"),
        "memo": _("修改商家备注"),
        "leader_free": _("团长免单，已全额退款"),
    },
)
verbs("shop.GroupBuy", {"form": _("拼团成功"), "fail": _("拼团失败")})
verbs("shop.Compensation", {"settle": _("从保证金扣除赔付"), "waive": _("免除赔付")})
verbs("shop.SuspensionProposal", {"confirm": _("确认暂停经营"), "dismiss": _("驳回暂停建议")})
verbs("shop.CouponBatch", {"create": _("创建优惠券"), "add_quantity": _("追加数量")})
verbs("shop.LeaderFree", {"create": _("创建团长免单"), "end": _("结束活动")})
verbs("shop.SecondItemDiscount", {"create": _("创建满2件折扣"), "end": _("结束活动")})
verbs("shop.CouponClaim", {"use": _("使用优惠券"), "release": _("退回优惠券"), "expire": _("优惠券过期")})

# Badge tones of the shop's statuses (portal.status): templates ask `{{ obj|tone }}`.
tones("shop.Order", {"cancelled": "muted", "completed": "ok"})
tones(
    "shop.Store",
    {
        "open": "ok",
        "rejected": "bad",
        "suspended": "bad",
        "closed": "bad",
        "draft": "warn",
        "submitted": "warn",
        "approved": "warn",
        "deposit_paid": "warn",
        "agreement_signed": "warn",
        "closing": "warn",
    },
)
tones("shop.StoreDocument", {"approved": "ok", "rejected": "bad", "pending": "warn"})
tones("shop.Product", {"on_sale": "ok", "off_shelf": "muted"})
