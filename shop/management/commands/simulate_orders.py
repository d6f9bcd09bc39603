"""Keep the demo alive: buyers keep placing and paying orders (single and group buys) in the open stores."""

import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.exceptions import DomainError
from shop.demo.orders import open_groups, place_and_pay, sellable_skus
from shop.models import Store
from shop.models.catalog import ProductStatus


class Command(BaseCommand):
    help = "Place and pay demo orders every few seconds (Ctrl-C to stop)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between orders")
        parser.add_argument("--count", type=int, default=0, help="stop after this many orders (0: never)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, interval: float = 5.0, count: int = 0, seed=None, **options):
        rng = random.Random(seed)
        placed = 0
        while not count or placed < count:
            stores = list(Store.objects.filter(status="open", products__status=ProductStatus.ON_SALE).distinct())
            if not stores:
                self.stderr.write("No open store has products on sale; run seed_demo first.")
                return
            store = rng.choice(stores)
            skus = sellable_skus(store)
            groups = open_groups(store)
            buyer = f"sim-{int(time.time() * 1000)}-{rng.randrange(1000)}"
            try:
                with transaction.atomic():
                    if groups and rng.random() < 0.5:  # join someone's group: it may fill and form
                        group = rng.choice(groups)
                        sku = next((s for s in skus if s.product_id == group.product_id), None) or rng.choice(skus)
                        order = place_and_pay(store=store, sku=sku, buyer_ref=buyer, rng=rng, group=group)
                    else:
                        order = place_and_pay(
                            store=store, sku=rng.choice(skus), buyer_ref=buyer, rng=rng, pay=rng.random() < 0.9
                        )
                self.stdout.write(f"{store.name}: {order.order_sn} {order.get_buy_mode_display()} → {order.status}")
            except (DomainError, IndexError) as exc:
                self.stdout.write(f"{store.name}: {getattr(exc, 'message', exc)}")
            placed += 1
            if not count or placed < count:
                time.sleep(interval)
