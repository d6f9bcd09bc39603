"""Seed the deposit rule table (DOMAIN.md: individual ¥2,000; enterprise ¥1,000 base; more for fresh food,
3C/digital and cross-border) and the first version of the merchant agreement. Amounts in fen."""

from datetime import datetime, timezone

from django.db import migrations

# (store_type, enterprise_kind, category code or "", amount in fen, note)
DEPOSIT_RULES = [
    ("individual", "", "", 200_000, "个人店基础保证金"),
    ("individual", "", "fresh", 500_000, "生鲜类目"),
    ("individual", "", "digital", 500_000, "3C 数码类目"),
    ("individual", "", "crossborder", 1_000_000, "跨境类目"),
    ("sole_proprietor", "", "", 200_000, "个体工商户基础保证金"),
    ("sole_proprietor", "", "fresh", 500_000, "生鲜类目"),
    ("sole_proprietor", "", "digital", 500_000, "3C 数码类目"),
    ("sole_proprietor", "", "crossborder", 1_000_000, "跨境类目"),
    ("enterprise", "", "", 100_000, "企业店基础保证金"),
    ("enterprise", "", "food", 200_000, "食品类目"),
    ("enterprise", "", "fresh", 500_000, "生鲜类目"),
    ("enterprise", "", "digital", 1_000_000, "3C 数码类目"),
    ("enterprise", "", "crossborder", 2_000_000, "跨境类目"),
]

AGREEMENT_VERSION = "2026.1"
AGREEMENT_TITLE = "拼单平台商家入驻服务协议"
AGREEMENT_BODY = """第一条 协议双方
本协议由拼单平台（以下简称“平台”）与申请入驻的商家（以下简称“商家”）签订。商家点击“同意并签署”即表示已阅读、理解并接受本协议全部条款。

第二条 入驻资质
商家应保证提交的身份证明、营业执照、品牌授权等资料真实、合法、有效；资料发生变更的，应在变更后 7 日内更新。

第三条 保证金
商家应按平台保证金规则缴纳保证金。商家违反平台规则（包括但不限于延迟发货、虚假发货、售后违规）产生的赔付，平台有权从保证金中扣除；保证金不足时，商家应在通知后及时补缴。

第四条 商品与交易
商家应遵守法律法规及平台规则，不得发布违禁商品，应按承诺时限发货，并依法履行七天无理由退货等售后义务。

第五条 店铺暂停与关闭
商家严重或多次违规的，平台有权暂停店铺经营。商家申请关店时，须下架全部商品并完成全部订单；平台审核通过后退还剩余保证金。

第六条 其他
本协议的修改以新版本形式公布，商家继续经营即视为接受新版本。本协议适用中华人民共和国法律。"""


def seed(apps, schema_editor):
    Category = apps.get_model("shop", "Category")
    DepositRule = apps.get_model("shop", "DepositRule")
    AgreementVersion = apps.get_model("shop", "AgreementVersion")
    categories = {c.code: c for c in Category.objects.all()}
    for store_type, kind, code, amount, note in DEPOSIT_RULES:
        if code and code not in categories:
            continue
        DepositRule.objects.get_or_create(
            store_type=store_type,
            enterprise_kind=kind,
            category=categories.get(code),
            defaults={"amount": amount, "note": note},
        )
    AgreementVersion.objects.get_or_create(
        version=AGREEMENT_VERSION, defaults={
            "title": AGREEMENT_TITLE,
            "body": AGREEMENT_BODY,
            "effective_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_store_onboarding")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
