"""Catalogue services: SKU matrix, shelf transitions (allowed and forbidden), stock, images, CSV import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from portal.models import AuditEntry
from shop.models import Product, ProductStatus, Sku
from shop.services.catalog import (
    product_create,
    product_image_add,
    product_put_on_sale,
    product_take_off_shelf,
    product_update,
    products_import_csv,
    products_set_shelf,
    sku_set_stock,
    spec_combinations,
)
from tests.conftest import force_status
from tests.factories import CategoryFactory, OrderItemFactory, ProductFactory, SkuFactory
from tests.shop.catalog_support import pictured

pytestmark = pytest.mark.django_db

SPECS = [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["M", "L"]}]


def sku_rows(attributes, price=5990, group_price=4990, stock=10):
    return [
        {"spec": spec, "code": "", "price": price, "group_price": group_price, "stock": stock, "weight_g": 300}
        for spec in spec_combinations(attributes)
    ]


def image_file(fmt="PNG", size=(800, 600), name="a.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def audit_count(obj):
    return AuditEntry.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name).count()


def test_spec_combinations_matrix():
    assert spec_combinations(SPECS) == [
        {"颜色": "红", "尺码": "M"},
        {"颜色": "红", "尺码": "L"},
        {"颜色": "蓝", "尺码": "M"},
        {"颜色": "蓝", "尺码": "L"},
    ]
    assert spec_combinations([]) == [{}]


def test_product_create_with_matrix(store):
    product = product_create(
        store=store,
        fields={"title": "T恤", "category": CategoryFactory(), "spec_attributes": SPECS, "is_fragile": True},
        skus=sku_rows(SPECS),
        by="t",
    )
    assert product.status == ProductStatus.DRAFT
    assert product.skus.count() == 4
    assert product.special_goods() == {"fragile"}


def test_product_create_refused_for_store_not_open(store):
    force_status(store, "suspended")
    with pytest.raises(Conflict) as exc:
        product_create(store=store, fields={"title": "x", "category": CategoryFactory()}, skus=sku_rows([]), by="t")
    assert exc.value.code == "store_not_open"
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("skus", "field"),
    [
        (sku_rows(SPECS)[:3], "skus"),  # a combination missing
        (sku_rows(SPECS, price=100, group_price=200), "skus"),  # group price above single price
        (sku_rows(SPECS, price=0, group_price=0), "skus"),
    ],
)
def test_product_create_bad_skus_change_nothing(store, skus, field):
    with pytest.raises(ValidationFailed) as exc:
        product_create(
            store=store,
            fields={"title": "T恤", "category": CategoryFactory(), "spec_attributes": SPECS},
            skus=skus,
            by="t",
        )
    assert field in exc.value.fields
    assert (Product.objects.count(), Sku.objects.count()) == (0, 0)


def test_product_update_keeps_stock_of_kept_specs_and_refuses_dropping_ordered_sku(store):
    product = product_create(
        store=store,
        fields={"title": "T恤", "category": CategoryFactory(), "spec_attributes": SPECS},
        skus=sku_rows(SPECS),
        by="t",
    )
    red_m = product.skus.get(spec={"颜色": "红", "尺码": "M"})
    sku_set_stock(sku=red_m, stock=77, by="t")
    fewer = [{"name": "颜色", "values": ["红"]}, {"name": "尺码", "values": ["M", "L"]}]
    rows = sku_rows(fewer)
    rows[0].pop("stock")
    product_update(product=product, fields={"spec_attributes": fewer}, skus=rows, by="t")
    red_m.refresh_from_db()
    assert red_m.stock == 77
    assert product.skus.count() == 2
    OrderItemFactory(sku=red_m, order__store=store)
    with pytest.raises(Conflict):
        product_update(
            product=product,
            fields={"spec_attributes": [{"name": "颜色", "values": ["蓝"]}]},
            skus=sku_rows([{"name": "颜色", "values": ["蓝"]}]),
            by="t",
        )
    assert product.skus.count() == 2


def test_transitions_allowed(store):
    product = pictured(SkuFactory(product__store=store).product)
    product_put_on_sale(product=product, by="t")
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE
    product_take_off_shelf(product=product, by="t")
    product_put_on_sale(product=product, by="t")
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE
    assert audit_count(product) == 3


@pytest.mark.parametrize(
    ("status", "action"),
    [("draft", product_take_off_shelf), ("off_shelf", product_take_off_shelf), ("on_sale", product_put_on_sale)],
)
def test_forbidden_transitions_change_nothing(store, status, action):
    product = SkuFactory(product__store=store).product
    force_status(product, status)
    with pytest.raises(IllegalTransition):
        action(product=product, by="t")
    product.refresh_from_db()
    assert product.status == status
    assert audit_count(product) == 0


def test_put_on_sale_needs_skus_and_open_store(store):
    empty = ProductFactory(store=store)
    with pytest.raises(IllegalTransition):
        product_put_on_sale(product=empty, by="t")
    product = pictured(SkuFactory(product__store=store).product)
    force_status(store, "suspended")
    with pytest.raises(Conflict):
        product_put_on_sale(product=product, by="t")
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    assert audit_count(product) == audit_count(empty) == 0


def test_bulk_shelf_reports_failures_and_ignores_other_stores(store, other_store):
    good = pictured(SkuFactory(product__store=store).product)
    empty = ProductFactory(store=store)
    foreign = pictured(SkuFactory(product__store=other_store).product)
    done, errors = products_set_shelf(store=store, product_ids=[good.pk, empty.pk, foreign.pk], on_sale=True, by="t")
    assert done == 1
    assert len(errors) == 1 and empty.title in errors[0]
    foreign.refresh_from_db()
    assert foreign.status == ProductStatus.DRAFT


def test_stock_cannot_go_negative(store):
    sku = SkuFactory(product__store=store, stock=5)
    with pytest.raises(ValidationFailed):
        sku_set_stock(sku=sku, stock=-1, by="t")
    sku.refresh_from_db()
    assert sku.stock == 5


def test_image_add_makes_thumbnail(store):
    product = ProductFactory(store=store)
    image = product_image_add(product=product, upload=image_file(), by="t")
    with Image.open(image.thumbnail) as thumb:
        assert max(thumb.size) <= 240
        assert thumb.format == "JPEG"


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("a.png", b"not an image"),
        image_file(fmt="GIF", name="a.gif"),
    ],
)
def test_image_add_refuses_bad_files(store, upload):
    product = ProductFactory(store=store)
    with pytest.raises(ValidationFailed) as exc:
        product_image_add(product=product, upload=upload, by="t")
    assert "image" in exc.value.fields
    assert product.images.count() == 0


def test_image_add_refuses_big_files(store, monkeypatch):
    monkeypatch.setattr("shop.services.catalog.IMAGE_MAX_BYTES", 10)
    with pytest.raises(ValidationFailed):
        product_image_add(product=ProductFactory(store=store), upload=image_file(), by="t")


def csv_file(text: str):
    return io.BytesIO(text.encode("utf-8-sig"))


def test_import_good_and_bad_rows(store):
    CategoryFactory(code="apparel", name="服饰")
    existing = SkuFactory(product__store=store, code="OLD-1", price=1000, group_price=900, stock=1)
    text = (
        "sku_code,product_title,category,brand,spec,price,group_price,stock,weight_g\n"
        "NEW-1,新T恤,apparel,牌子,颜色:红;尺码:M,59.90,49.90,10,300\n"  # created
        "NEW-2,新T恤,apparel,牌子,颜色:蓝;尺码:M,59.90,49.90,5,\n"  # created on the same product
        "OLD-1,,,,,12.00,,42,\n"  # updated
        "BAD-1,坏商品,apparel,,,abc,1,1,\n"  # bad price
        "BAD-2,坏商品,nocat,,,10,20,1,\n"  # unknown category (and group above price)
        "OLD-1,,,,,1.00,,,\n"  # group price 9.00 above the new price 1.00: refused whole
        ",无编码,apparel,,,1,1,1,\n"
    )
    report = products_import_csv(store=store, file=csv_file(text), by="t")
    assert [(r.line, r.outcome) for r in report] == [
        (2, "created"),
        (3, "created"),
        (4, "updated"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
        (8, "error"),
    ]
    assert all(r.errors for r in report if r.outcome == "error")
    existing.refresh_from_db()
    assert (existing.price, existing.stock) == (1200, 42)  # the bad row 7 did not half-apply
    product = Product.objects.get(store=store, title="新T恤")
    assert product.status == ProductStatus.DRAFT
    assert product.skus.count() == 2
    assert product.spec_attributes == [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["M"]}]
    assert not Product.objects.filter(title="坏商品").exists()


def test_import_refuses_bad_files(store):
    for data in (b"\xff\xfe\x00bad", b"a,b\n1,2\n", b"sku_code,price,stock\n"):
        with pytest.raises(ValidationFailed) as exc:
            products_import_csv(store=store, file=io.BytesIO(data), by="t")
        assert "file" in exc.value.fields
