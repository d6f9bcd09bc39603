"""What a store sees at its stage (issue 16): the sidebar before opening, 发布商品 refused up front, and
the getting-started checklist of a new store's dashboard."""

import pytest
from django.urls import reverse

from portal.navigation import nav_items
from shop.models import Product
from tests.conftest import force_status
from tests.factories import ProductFactory, SkuFactory
from tests.shop.store_helpers import approved_store, draft_store, owner_of

pytestmark = pytest.mark.django_db


def sidebar_links(page: str) -> str:
    return page.split('<aside class="sidenav">', 1)[1].split("</aside>", 1)[0]


def test_before_opening_the_sidebar_shows_only_onboarding_entries(client):
    # given a store still being reviewed
    store = approved_store()
    client.force_login(owner_of(store))
    # when the merchant opens the store page
    side = sidebar_links(client.get(reverse("shop:store_detail")).content.decode())
    # then products, orders, shipping and the rest are not offered
    assert reverse("shop:store_detail") in side and reverse("inbox") in side
    for url_name in ("shop:product_list", "shop:order_list", "shop:promotion_list", "shop:funds", "api_keys"):
        assert f'href="{reverse(url_name)}"' not in side, url_name


@pytest.mark.parametrize("status", ["open", "suspended"])
def test_once_open_the_whole_sidebar_shows(merchant_client, store, status):
    force_status(store, status)
    side = sidebar_links(merchant_client.get(reverse("shop:store_detail")).content.decode())
    for url_name in ("shop:product_list", "shop:order_list", "shop:promotion_list"):
        assert f'href="{reverse(url_name)}"' in side, url_name


def test_nav_items_by_stage():
    store = draft_store()
    staged = [item.url_name for item, _url, _a in nav_items("/", store, staged=True)]
    assert "shop:product_list" not in staged and "shop:store_detail" in staged
    assert "shop:product_list" in [item.url_name for item, _u, _a in nav_items("/")]


def test_publishing_a_product_is_refused_before_the_form(client):
    store = approved_store()
    client.force_login(owner_of(store))
    response = client.get(reverse("shop:product_create"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("shop:store_detail")
    assert any("开业后才能发布" in str(m) for m in response.context["messages"])
    assert 'name="title"' not in response.content.decode()


def test_a_suspended_store_is_not_offered_the_publish_button(merchant_client, store):
    force_status(store, "suspended")
    page = merchant_client.get(reverse("shop:product_list")).content.decode()
    assert 'data-testid="product-create"' not in page
    response = merchant_client.get(reverse("shop:product_create"))
    assert response.status_code == 302 and response["Location"] == reverse("shop:product_list")
    force_status(store, "open")
    assert 'data-testid="product-create"' in merchant_client.get(reverse("shop:product_list")).content.decode()


def test_a_new_store_lands_on_a_getting_started_checklist(merchant_client, store):
    # given a store that just opened
    page = merchant_client.get(reverse("home")).content.decode()
    # then the dashboard shows the checklist, with the opening done and the product steps to do
    assert 'data-testid="getting-started"' in page
    assert 'data-testid="step-store_opened" data-done="1"' in page
    assert 'data-testid="step-product_created" data-done="0"' in page
    assert f'href="{reverse("shop:product_create")}"' in page
    assert 'data-testid="step-sender_address" data-done="0"' in page
    # when the first product exists
    SkuFactory(product=ProductFactory(store=store))
    page = merchant_client.get(reverse("home")).content.decode()
    assert 'data-testid="step-product_created" data-done="1"' in page
    assert Product.objects.filter(store=store).count() == 1


def test_the_checklist_goes_away_when_every_step_is_done(merchant_client, store, monkeypatch):
    from portal import dashboard

    monkeypatch.setattr(dashboard, "checklist", lambda s: [dashboard.ChecklistStep("x", "x", True)])
    page = merchant_client.get(reverse("home")).content.decode()
    assert 'data-testid="getting-started"' not in page
