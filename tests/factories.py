"""factory_boy factories shared by every test folder."""

import factory
from factory.django import DjangoModelFactory

from portal.models import Membership, User
from shop.models import Category, Order, OrderItem, Product, Sku, Store


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.django.Password("pass12345")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类目{n}")


class StoreFactory(DjangoModelFactory):
    """A store in draft; use `open_store` (tests/helpers) for one that trades."""

    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"测试店铺{n}")
    store_type = "enterprise"
    enterprise_kind = "ordinary"
    main_category = factory.SubFactory(CategoryFactory)
    contact_name = "张三"
    contact_phone = "13800138000"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = "owner"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    title = factory.Sequence(lambda n: f"测试商品{n}")
    category = factory.SubFactory(CategoryFactory)


class SkuFactory(DjangoModelFactory):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory)
    spec = factory.LazyFunction(lambda: {"颜色": "红"})
    price = 5990
    group_price = 4990
    stock = 100
    weight_g = 800


class OrderFactory(DjangoModelFactory):
    """An order in pending_payment; tests put it in other states with tests.conftest.force_status."""

    class Meta:
        model = Order

    order_sn = factory.Sequence(lambda n: f"261121-{n:015d}")
    store = factory.SubFactory(StoreFactory)
    buyer_ref = factory.Sequence(lambda n: f"buyer{n}")
    recipient_name = "李四"
    recipient_phone = "13912345678"
    province = "浙江省"
    city = "杭州市"
    district = "西湖区"
    street = "文三路 100 号"
    goods_amount = 5990
    paid_amount = 5990


class OrderItemFactory(DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    sku = factory.SubFactory(SkuFactory, product__store=factory.SelfAttribute("...order.store"))
    product_title = factory.LazyAttribute(lambda i: i.sku.product.title)
    quantity = 1
    unit_price = 5990
    paid_amount = 5990
