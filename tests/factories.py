"""factory_boy factories shared by every test folder."""

import factory
from factory.django import DjangoModelFactory

from portal.models import Membership, User
from shop.models import Category, Store


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
