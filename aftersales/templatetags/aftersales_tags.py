"""Template helpers other areas include: a product's rating, an order's open after-sales requests."""

from __future__ import annotations

from django import template

from aftersales.selectors import open_requests_of_order, product_rating

register = template.Library()


@register.inclusion_tag("aftersales/_product_rating.html")
def product_rating_badge(product_id: int, rating: dict | None = None) -> dict:
    """{% product_rating_badge product.pk %} — pass `rating` from selectors.product_ratings() on list pages."""
    return {"rating": rating if rating is not None else product_rating(product_id)}


@register.inclusion_tag("aftersales/_order_requests.html")
def order_aftersales(order) -> dict:
    """{% order_aftersales order %} on the order detail page: the order's open requests with links."""
    return {"requests": list(open_requests_of_order(store=order.store, order=order))}
