"""Demo merchants at every onboarding stage, each brought there through the real services
(documents, review, sandbox deposit payment, agreement), so their timelines are genuine.

`merchant` owns the open store 拼拼优选旗舰店 that later seeders fill with products and orders.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.models import Role, User
from portal.payments.providers import get_provider
from portal.payments.services import payment_record_callback
from shop.models import Category, Store
from shop.models.stores import uscc_check_character
from shop.selectors.stores import current_agreement
from shop.services import deposit as deposit_services
from shop.services import stores as services

DEMO_IP = "127.0.0.1"
MAIN_STORE = "拼拼优选旗舰店"

# username, store name, stage, application (type, kind, category code, brand, company, credit code)
MERCHANTS = [
    (
        "merchant",
        MAIN_STORE,
        "open",
        ("enterprise", "flagship", "home", "拼拼优选", "上海拼拼优选贸易有限公司", "91310000MA1FL0QX3P"),
    ),
    ("m_draft", "小李的杂货铺", "draft", ("individual", "", "home", "", "", "")),
    (
        "m_submitted",
        "老王农家土特产",
        "submitted",
        ("sole_proprietor", "", "agri", "", "王家庄农产品经营部", "92410100MA40ABCD1X"),
    ),
    (
        "m_rejected",
        "品创数码专卖店",
        "rejected",
        ("enterprise", "exclusive", "digital", "品创", "深圳品创科技有限公司", "91440300MA5EXAMP1C"),
    ),
    (
        "m_approved",
        "悦家家居生活馆",
        "approved",
        ("enterprise", "ordinary", "furniture", "", "悦家家居用品有限公司", "91330100MA2H0ME01Y"),
    ),
    ("m_deposit", "阿香手作", "deposit_paid", ("individual", "", "apparel", "", "", "")),
    ("m_suspended", "快快日用百货", "suspended", ("individual", "", "home", "", "", "")),
]
CHAIN = [
    ("鲜果时光果园", ("individual", "", "fresh", "", "", "")),
    ("潮流服饰小铺", ("sole_proprietor", "", "apparel", "", "广州潮流服饰店", "92440100MA59CHA02K")),
    ("童趣母婴专营店", ("enterprise", "specialty", "baby", "童趣", "杭州童趣母婴用品有限公司", "91330100MA2BABY01H")),
]
STAGES = ["draft", "submitted", "rejected", "approved", "deposit_paid", "open", "suspended"]


def _fix_check_character(code: str) -> str:
    """Demo codes are made up; give them the right GB 32100 check character so they validate."""
    return code[:17] + uscc_check_character(code[:17]) if code else ""


def _png(label: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (480, 300), (235, 240, 250)).save(buffer, format="PNG")
    return SimpleUploadedFile(f"{label}.png", buffer.getvalue(), content_type="image/png")


def _pdf(label: str) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(f"{label}.pdf", body, content_type="application/pdf")


def _application(name: str, spec: tuple) -> dict:
    store_type, kind, category, brand, company, code = spec
    return {
        "store_type": store_type,
        "enterprise_kind": kind,
        "name": name,
        "main_category": Category.objects.get(code=category),
        "brand_name": brand,
        "company_name": company,
        "credit_code": _fix_check_character(code),
        "contact_name": "张经理",
        "contact_phone": "13800138000",
    }


def _bring_to(store: Store, owner: User, stage: str, staff: dict[str, User]) -> Store:
    target = STAGES.index(stage)
    kinds = store.required_document_kinds()
    for kind in kinds if target >= 1 else kinds[:2]:
        upload = _pdf(kind) if kind == "product_list" else _png(kind)
        services.document_upload(store=store, kind=kind, file=upload, by=owner, sealed=True)
    if target == 0:
        return store
    store = services.store_submit(store=store, by=owner)
    if stage == "submitted":
        return store
    if stage == "rejected":
        reasons = {kinds[-2]: "授权链路不完整，缺少品牌方至经销商的授权", kinds[0]: "复印件未加盖公章"}
        return services.store_reject(store=store, reasons=reasons, by=staff["reviewer"])
    store = services.store_approve(store=store, by=staff["reviewer"])
    if stage == "approved":
        return store
    provider = get_provider()
    payment = deposit_services.deposit_payment_start(store=store, by=owner)
    payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
    store.refresh_from_db()
    if stage == "deposit_paid":
        return store
    store = services.store_sign_agreement(
        store=store, version=current_agreement(), by=owner, ip_address=DEMO_IP, user_agent="demo seeder"
    )
    if stage == "suspended":
        store = services.store_suspend(store=store, reason="多次虚假发货，整改期间暂停经营", by=staff["support"])
    return store


def _merchant(username: str, password: str) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com", "phone": "13900139000"}
    )
    if created:
        user.set_password(password)
        user.save()
    return user, created


def seed(*, password: str) -> list[tuple[str, str]]:
    staff = {u.username: u for u in User.objects.filter(username__in=["reviewer", "support", "finance"])}
    logins = []
    for username, store_name, stage, spec in MERCHANTS:
        user, created = _merchant(username, password)
        if created:
            store = services.store_create(user=user, data=_application(store_name, spec), by=user)
            _bring_to(store, user, stage, staff)
        logins.append((username, f"merchant: {store_name} ({stage})"))
    chain, created = _merchant("m_chain", password)
    if created:
        for store_name, spec in CHAIN:
            store = services.store_create(user=chain, data=_application(store_name, spec), by=chain)
            _bring_to(store, chain, "open", staff)
    logins.append(("m_chain", f"merchant: {len(CHAIN)} open stores"))
    operator, created = _merchant("operator", password)
    if created:
        owner = User.objects.get(username="merchant")
        services.membership_invite(store=Store.objects.get(name=MAIN_STORE), user_ref=operator.username, by=owner)
    logins.append(("operator", f"operator ({Role.OPERATOR}) of {MAIN_STORE}"))
    return logins
