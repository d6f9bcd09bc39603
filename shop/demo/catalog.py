"""Demo catalogue: products with SKU matrices and Pillow pictures, special goods, promotions of every kind.

Fills the first open stores the onboarding seeder (shop.demo.stores) created, so it runs after it.
Idempotent: products are matched by title, promotions by name or SKU.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from shop.models import (
    Category,
    CouponBatch,
    CouponSource,
    LeaderFree,
    LimitedTimeDiscount,
    Product,
    SpendAndSave,
    Store,
    StoreStatus,
)
from shop.services.catalog import product_create, product_image_add, product_put_on_sale, spec_combinations
from shop.services.promotions import (
    coupon_claim,
    coupon_create,
    discount_create,
    leader_free_create,
    spend_and_save_create,
)

BY = "demo"
STORES_TO_FILL = 3

# title, category, brand, specs, (price, group price) per first-spec value, weight g, flags, on sale, colour
PRODUCTS = [
    (
        "纯棉短袖T恤",
        "apparel",
        "棉语",
        [("颜色", ["白", "黑", "蓝"]), ("尺码", ["M", "L", "XL"])],
        (3990, 2990),
        250,
        {},
        True,
        (70, 130, 180),
    ),
    (
        "烟台红富士苹果",
        "fresh",
        "山果园",
        [("规格", ["5斤", "10斤"])],
        (2990, 1990),
        2600,
        {"is_fresh": True, "ship_within_hours": 24, "bad_fruit_claim": True, "short_weight_claim": True},
        True,
        (200, 40, 40),
    ),
    (
        "速冻手工水饺",
        "food",
        "北方人家",
        [("口味", ["猪肉白菜", "三鲜"])],
        (2590, 1990),
        1000,
        {"is_frozen": True},
        True,
        (240, 230, 210),
    ),
    (
        "北欧实木餐桌",
        "furniture",
        "木里",
        [("尺寸", ["1.2米", "1.4米"])],
        (89900, 79900),
        35000,
        {"is_bulky": True, "home_install": True},
        True,
        (160, 110, 60),
    ),
    (
        "手工陶瓷餐具套装",
        "home",
        "青瓷坊",
        [("颜色", ["青", "白"])],
        (12900, 9900),
        3000,
        {"is_fragile": True},
        True,
        (90, 160, 150),
    ),
    ("无线蓝牙耳机", "digital", "声动", [("颜色", ["白", "黑"])], (9900, 7900), 200, {}, False, (40, 40, 60)),
]


def _picture(colour: tuple[int, int, int], name: str) -> SimpleUploadedFile:
    img = Image.new("RGB", (640, 640), colour)
    draw = ImageDraw.Draw(img)
    for i in range(0, 320, 40):
        shade = tuple(min(255, c + i // 8) for c in colour)
        draw.rectangle([i, i, 640 - i, 640 - i], outline=shade, width=6)
    draw.ellipse([220, 220, 420, 420], fill=(255, 255, 255))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile(f"{name}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _products(store: Store) -> list[Product]:
    products = []
    for index, (title, category, brand, specs, (price, group), weight, flags, on_sale, colour) in enumerate(PRODUCTS):
        product = Product.objects.filter(store=store, title=title).first()
        if product is None:
            attributes = [{"name": n, "values": v} for n, v in specs]
            skus = []
            for n, combo in enumerate(spec_combinations(attributes)):
                step = list(combo.values())[0] != specs[0][1][0]  # the bigger first-spec value costs more
                skus.append(
                    {
                        "spec": combo,
                        "code": f"S{store.pk}-{index + 1:02d}-{n + 1:02d}",
                        "price": price + (price // 2 if step else 0),
                        "group_price": group + (group // 2 if step else 0),
                        "stock": 20 + 37 * (n % 4),
                        "weight_g": weight,
                    }
                )
            product = product_create(
                store=store,
                fields={
                    "title": title,
                    "category": Category.objects.get(code=category),
                    "brand": brand,
                    "description": f"{brand}{title}，品质保证，{'支持' if not flags else '特殊商品，请留意'}配送说明。",
                    "spec_attributes": attributes,
                    **flags,
                },
                skus=skus,
                by=BY,
            )
            for n in range(2):
                product_image_add(
                    product=product, upload=_picture(tuple(c // (n + 1) for c in colour), f"p{index}-{n}"), by=BY
                )
            if on_sale:
                product_put_on_sale(product=product, by=BY, reason="demo")
        products.append(product)
    return products


def _promotions(store: Store, products: list[Product]) -> None:
    now = timezone.now()
    tee, apple, dumplings = (p.skus.order_by("id").first() for p in products[:3])
    month = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=30)}
    if not LimitedTimeDiscount.objects.filter(store=store).exists():
        discount_create(
            store=store, sku=tee, kind="price", price=2490, activity_stock=100, per_buyer_limit=2, by=BY, **month
        )
        discount_create(store=store, sku=apple, kind="permille", permille=800, by=BY, **month)
        discount_create(
            store=store,
            sku=dumplings,
            kind="permille",
            permille=700,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=5),
            by=BY,
        )
    if not SpendAndSave.objects.filter(store=store).exists():
        spend_and_save_create(
            store=store,
            name="店铺满减",
            tiers=[{"threshold": 10000, "discount": 1000}, {"threshold": 20000, "discount": 2500}],
            by=BY,
            **month,
        )
    if not CouponBatch.objects.filter(store=store).exists():
        store_wide = coupon_create(
            store=store,
            name="满50减5",
            kind="threshold",
            threshold=5000,
            amount=500,
            quantity=500,
            per_user_limit=2,
            by=BY,
            **month,
        )
        coupon_create(
            store=store,
            name="9折券",
            kind="percentage",
            percent_off=10,
            cap=2000,
            quantity=200,
            valid_days=7,
            by=BY,
            **month,
        )
        coupon_create(
            store=store,
            name="苹果专享券",
            kind="threshold",
            amount=300,
            quantity=100,
            products=[products[1]],
            by=BY,
            **month,
        )
        for buyer in ("demo-buyer-1", "demo-buyer-2"):
            coupon_claim(coupon=store_wide, buyer_ref=buyer, by=BY)
        coupon_create(  # issued by the platform: its discount is the platform's share
            store=store,
            name="百亿补贴",
            kind="threshold",
            threshold=3000,
            amount=800,
            quantity=300,
            source=CouponSource.PLATFORM,
            by=BY,
            **month,
        )
    if not LeaderFree.objects.filter(store=store).exists():
        leader_free_create(store=store, product=products[1], quantity=20, by=BY, **month)


def seed(*, password: str) -> list[tuple[str, str]]:
    for store in Store.objects.filter(status=StoreStatus.OPEN).order_by("id")[:STORES_TO_FILL]:
        _promotions(store, _products(store))
    return []
