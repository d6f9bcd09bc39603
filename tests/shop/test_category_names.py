"""Category names in the active language (issue 16): the English UI shows the English name; the API keeps
codes."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from shop.models import Category
from tests.factories import CategoryFactory, SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    """Switch a client to English; the thread's language goes back to the default afterwards."""
    yield lambda client: client.post(reverse("set_language"), {"language": "en", "next": "/"})
    translation.activate("zh-hans")


def test_seeded_categories_get_english_names():
    seeded = importlib.import_module("shop.migrations.0002_categories").CATEGORIES
    migration = importlib.import_module("shop.migrations.0016_category_name_en")
    assert {code for code, _, _ in seeded} == set(migration.ENGLISH)
    Category.objects.update_or_create(code="home", defaults={"name": "家居日用", "name_en": ""})
    migration.name_in_english(apps, None)
    assert Category.objects.get(code="home").name_en == "Home & daily use"


def test_a_category_shows_its_english_name_in_english_and_falls_back_to_chinese():
    named = CategoryFactory(name="水果", name_en="Fruit")
    unnamed = CategoryFactory(name="杂货")
    with translation.override("en"):
        assert (str(named), str(unnamed)) == ("Fruit", "杂货")
    with translation.override("zh-hans"):
        assert str(named) == "水果"


def test_the_product_list_and_page_show_the_english_category(merchant_client, store, english):
    fruit = CategoryFactory(name="水果", name_en="Fruit")
    sku = SkuFactory(product__store=store, product__title="苹果", product__category=fruit)
    english(merchant_client)
    assert "<td>Fruit</td>" in merchant_client.get(reverse("shop:product_list")).content.decode()
    page = merchant_client.get(reverse("shop:product_detail", args=[sku.product.pk])).content.decode()
    assert "Fruit" in page and "水果" not in page
