from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import Customer, Order, OrderEvent, OrderLine, Payment
from retailers.tests.factories import RetailerFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    retailer = factory.SubFactory(RetailerFactory)
    external_id = factory.Sequence(lambda n: f"cust-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.external_id}@shoppers.example")
    name = factory.Faker("name")


class OrderFactory(factory.django.DjangoModelFactory):
    """A bare order row. Prefer `order_payload` + the API or `order_upsert` in tests
    that care about totals and stock: they go through the real service."""

    class Meta:
        model = Order

    retailer = factory.SubFactory(RetailerFactory)
    customer = factory.SubFactory(CustomerFactory, retailer=factory.SelfAttribute("..retailer"))
    external_id = factory.Sequence(lambda n: f"ord-{n}")
    currency = "USD"
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    external_id = factory.Sequence(lambda n: f"line-{n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    quantity = 1
    unit_price = Decimal("10.00")
    warehouse = "main"


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    external_id = factory.Sequence(lambda n: f"pay-{n}")
    method = "card"
    amount = Decimal("10.00")


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    kind = "order.note"
    message = "A note on the timeline."
    actor_kind = "system"
    actor_label = "system"
