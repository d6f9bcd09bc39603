"""Catalogue pages: list (search, tabs, bulk, constant queries), create/edit with SKU matrix, stock, images, CSV."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from shop.models import Product, ProductStatus, Sku
from tests.conftest import force_status
from tests.factories import CategoryFactory, ProductFactory, SkuFactory
from tests.shop.catalog_support import pictured

pytestmark = pytest.mark.django_db


def product_post(category, specs="颜色: 红, 蓝", rows=None, **extra):
    rows = (
        rows
        if rows is not None
        else [
            {"spec": json.dumps({"颜色": "红"}), "price": "59.90", "group_price": "49.90", "stock": "10"},
            {"spec": json.dumps({"颜色": "蓝"}), "price": "69.90", "group_price": "59.90", "stock": "5"},
        ]
    )
    data = {
        "title": "纯棉T恤",
        "category": category.pk,
        "brand": "棉语",
        "description": "",
        "specs": specs,
        "ship_within_hours": 48,
        "group_size": 2,
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "200",
    }
    for i, row in enumerate(rows):
        for key, value in {
            "code": "",
            "weight_g": "300",
            "length_mm": "0",
            "width_mm": "0",
            "height_mm": "0",
            **row,
        }.items():
            data[f"form-{i}-{key}"] = value
    data.update(extra)
    return data


def png(name="a.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (0, 100, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_product_list_search_and_tabs(merchant_client, store, other_store):
    SkuFactory(product__store=store, product__title="红富士苹果", code="APL-1")
    on_sale = SkuFactory(product__store=store, product__title="T恤").product
    force_status(on_sale, "on_sale")
    SkuFactory(product__store=other_store, product__title="别人的苹果")
    page = merchant_client.get(reverse("shop:product_list"), {"q": "苹果"}).content.decode()
    assert "红富士苹果" in page and "别人的苹果" not in page and "T恤" not in page
    assert "红富士苹果" in merchant_client.get(reverse("shop:product_list"), {"q": "APL-1"}).content.decode()
    tab = merchant_client.get(reverse("shop:product_list"), {"status": "on_sale"})
    assert [p.title for p in tab.context["page"]] == ["T恤"]
    assert [c for _v, _l, c in tab.context["tabs"]] == [2, 1, 1, 0]


@pytest.mark.parametrize("size", [3, 15])
def test_product_list_constant_queries(merchant_client, store, django_assert_max_num_queries, size):
    for _ in range(size):
        product = SkuFactory(product__store=store).product
        SkuFactory(product=product, spec={"颜色": "蓝"})
    with django_assert_max_num_queries(13):  # 12, and the category filter's choices
        response = merchant_client.get(reverse("shop:product_list"))
    assert len(response.context["page"]) == size


def test_bulk_on_off_shelf(merchant_client, store):
    a, b = pictured(SkuFactory(product__store=store).product), pictured(SkuFactory(product__store=store).product)
    response = merchant_client.post(reverse("shop:product_bulk"), {"action": "on_sale", "ids": [a.pk, b.pk]})
    assert response.status_code == 302
    assert set(Product.objects.values_list("status", flat=True)) == {ProductStatus.ON_SALE}
    merchant_client.post(reverse("shop:product_bulk"), {"action": "off_shelf", "ids": [a.pk]})
    a.refresh_from_db()
    assert a.status == ProductStatus.OFF_SHELF


@pytest.mark.parametrize(
    "data", [{"action": "on_sale"}, {"action": "explode", "ids": ["1"]}, {"action": "on_sale", "ids": ["x"]}]
)
def test_bulk_bad_input(merchant_client, store, data):
    product = SkuFactory(product__store=store).product
    response = merchant_client.post(reverse("shop:product_bulk"), data, follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"])
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_create_product_with_matrix(merchant_client, store):
    category = CategoryFactory()
    assert merchant_client.get(reverse("shop:product_create")).status_code == 200
    response = merchant_client.post(reverse("shop:product_create"), product_post(category))
    product = Product.objects.get(store=store)
    assert response.status_code == 302 and response.url == reverse("shop:product_detail", args=[product.pk])
    assert sorted((s.spec["颜色"], s.price, s.group_price, s.stock) for s in product.skus.all()) == [
        ("红", 5990, 4990, 10),
        ("蓝", 6990, 5990, 5),
    ]
    assert product.spec_attributes == [{"name": "颜色", "values": ["红", "蓝"]}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"specs": "颜色 红 蓝"}, "specs"),
        ({"form-0-price": "abc"}, "price"),
        ({"form-0-group_price": "99.00"}, "group_price"),
        ({"form-0-stock": "-1"}, "stock"),
    ],
)
def test_create_product_bad_input_shows_field_errors(merchant_client, store, change, field):
    response = merchant_client.post(reverse("shop:product_create"), product_post(CategoryFactory(), **change))
    assert response.status_code == 200
    assert f'data-field="{field}"' in response.content.decode()
    assert not Product.objects.exists()


def test_create_product_matrix_out_of_date_is_refused(merchant_client, store):
    response = merchant_client.post(
        reverse("shop:product_create"), product_post(CategoryFactory(), specs="颜色: 红, 蓝, 绿")
    )
    assert "请重新生成规格表" in response.content.decode()
    assert not Product.objects.exists()


def test_regenerate_matrix_keeps_typed_values(merchant_client, store):
    data = product_post(CategoryFactory(), specs="颜色: 红, 蓝\n尺码: M")
    response = merchant_client.post(reverse("shop:product_sku_matrix"), data, HTTP_HX_REQUEST="true")
    formset = response.context["formset"]
    assert [json.loads(f.initial["spec"]) for f in formset] == [
        {"颜色": "红", "尺码": "M"},
        {"颜色": "蓝", "尺码": "M"},
    ]
    bad = merchant_client.post(reverse("shop:product_sku_matrix"), {"specs": "坏"})
    assert "格式" in bad.content.decode()
    # without htmx the page's regenerate button re-renders the whole form
    again = merchant_client.post(reverse("shop:product_create"), {**data, "regenerate": "1"})
    assert len(again.context["formset"].forms) == 2
    assert not Product.objects.exists()


def test_edit_product(merchant_client, store):
    sku = SkuFactory(product__store=store, spec={"颜色": "红"}, stock=8)
    product = sku.product
    Product.objects.filter(pk=product.pk).update(spec_attributes=[{"name": "颜色", "values": ["红"]}])
    page = merchant_client.get(reverse("shop:product_edit", args=[product.pk]))
    assert page.status_code == 200
    rows = [{"spec": json.dumps({"颜色": "红"}), "price": "10.00", "group_price": "9.00", "stock": "8"}]
    response = merchant_client.post(
        reverse("shop:product_edit", args=[product.pk]),
        product_post(product.category, specs="颜色: 红", rows=rows, title="新标题"),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    sku.refresh_from_db()
    assert (product.title, sku.price, sku.pk) == ("新标题", 1000, sku.pk)


def test_detail_and_transitions(merchant_client, store):
    product = pictured(SkuFactory(product__store=store).product)
    assert merchant_client.get(reverse("shop:product_detail", args=[product.pk])).status_code == 200
    merchant_client.post(reverse("shop:product_transition", args=[product.pk, "on_sale"]))
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE
    response = merchant_client.post(reverse("shop:product_transition", args=[product.pk, "on_sale"]), follow=True)
    assert any("不允许" in str(m) or "not allowed" in str(m) for m in response.context["messages"])
    detail = merchant_client.get(reverse("shop:product_detail", args=[product.pk]))
    assert 'data-testid="timeline"' in detail.content.decode() and 'data-verb="put_on_sale"' in detail.content.decode()
    merchant_client.post(reverse("shop:product_transition", args=[product.pk, "nonsense"]))
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE


def test_stock_page(merchant_client, store):
    sku = SkuFactory(product__store=store, stock=3)
    url = reverse("shop:product_stock", args=[sku.product.pk])
    assert merchant_client.get(url).status_code == 200
    bad = merchant_client.post(url, {f"stock_{sku.pk}": "-5"})
    assert bad.status_code == 200 and f'data-field="stock_{sku.pk}"' in bad.content.decode()
    merchant_client.post(url, {f"stock_{sku.pk}": "30"})
    sku.refresh_from_db()
    assert sku.stock == 30


def test_image_upload_and_delete(merchant_client, store):
    product = ProductFactory(store=store)
    url = reverse("shop:product_image_add", args=[product.pk])
    assert merchant_client.post(url, {"image": png()}).status_code == 302
    image = product.images.get()
    assert image.thumbnail.name
    bad = merchant_client.post(url, {"image": SimpleUploadedFile("x.png", b"nope")})
    assert bad.status_code == 400 and 'data-field="image"' in bad.content.decode()
    assert merchant_client.post(url, {}).status_code == 400
    merchant_client.post(reverse("shop:product_image_delete", args=[product.pk, image.pk]))
    assert not product.images.exists()


def test_csv_export_and_import(merchant_client, store):
    CategoryFactory(code="apparel")
    SkuFactory(product__store=store, code="EXP-1", price=1234, group_price=1000, stock=7)
    export = merchant_client.get(reverse("shop:product_export"))
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "sku_code,product_title,category,brand,spec,price,group_price,stock,weight_g"
    assert "EXP-1" in text and "12.34" in text
    upload = text.replace(",7,", ",9,") + "NEW-1,新品,apparel,,,5.00,4.00,3,\nBAD,新品,apparel,,,x,1,1,\n"
    response = merchant_client.post(
        reverse("shop:product_import"), {"file": SimpleUploadedFile("p.csv", upload.encode("utf-8-sig"))}
    )
    assert response.status_code == 200
    assert [r.outcome for r in response.context["report"]] == ["updated", "created", "error"]
    assert Sku.objects.get(code="EXP-1").stock == 9
    assert merchant_client.post(reverse("shop:product_import"), {}).status_code == 400
    bad = merchant_client.post(reverse("shop:product_import"), {"file": SimpleUploadedFile("p.csv", b"a,b\n")})
    assert bad.status_code == 400 and 'data-field="file"' in bad.content.decode()


def test_other_stores_product_is_404_on_every_page(merchant_client, other_store):
    sku = SkuFactory(product__store=other_store)
    product = sku.product
    image_owner = ProductFactory(store=other_store)
    pk = product.pk
    for name, args in [
        ("shop:product_detail", [pk]),
        ("shop:product_edit", [pk]),
        ("shop:product_stock", [pk]),
    ]:
        assert merchant_client.get(reverse(name, args=args)).status_code == 404
    for name, args in [
        ("shop:product_transition", [pk, "on_sale"]),
        ("shop:product_image_add", [pk]),
        ("shop:product_image_delete", [image_owner.pk, 1]),
        ("shop:product_stock", [pk]),
    ]:
        assert merchant_client.post(reverse(name, args=args), {f"stock_{sku.pk}": "1"}).status_code == 404
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_pages_need_login(client):
    response = client.get(reverse("shop:product_list"))
    assert response.status_code == 302 and "login" in response.url


def test_store_not_open_cannot_publish(merchant_client, store):
    force_status(store, "suspended")
    response = merchant_client.post(reverse("shop:product_create"), product_post(CategoryFactory()), follow=True)
    assert any("开业后才能发布" in str(m) for m in response.context["messages"])
    assert not Product.objects.exists()
