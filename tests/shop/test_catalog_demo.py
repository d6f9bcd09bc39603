"""The catalogue demo seeder fills the open demo stores and is idempotent."""

import pytest

from portal import demo as portal_demo
from shop.demo import catalog, stores
from shop.models import CouponBatch, LimitedTimeDiscount, Product, ProductImage, SpendAndSave

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Product, ProductImage, LimitedTimeDiscount, SpendAndSave, CouponBatch)]


def test_seed_twice_changes_nothing():
    portal_demo.seed(password="pw")
    stores.seed(password="pw")
    catalog.seed(password="pw")
    first = counts()
    assert all(first)
    assert {"fresh", "frozen", "bulky", "fragile"} <= set().union(*(p.special_goods() for p in Product.objects.all()))
    catalog.seed(password="pw")
    assert counts() == first
