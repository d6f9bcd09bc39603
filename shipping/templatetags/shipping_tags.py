"""`{% load shipping_tags %}{% order_tracking order %}`: the order page's shipment timeline in one line."""

from __future__ import annotations

from django import template

from shipping.selectors import shipments_for_order

register = template.Library()


@register.inclusion_tag("shipping/_order_tracking.html")
def order_tracking(order) -> dict:
    return {"shipments": shipments_for_order(order)}
