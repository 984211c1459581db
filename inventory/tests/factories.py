import factory

from inventory.models import Warehouse
from retailers.tests.factories import RetailerFactory


class WarehouseFactory(factory.django.DjangoModelFactory):
    """A bare warehouse row. Stock itself only moves through inventory.services."""

    class Meta:
        model = Warehouse
        django_get_or_create = ("retailer", "code")

    retailer = factory.SubFactory(RetailerFactory)
    code = factory.Sequence(lambda n: f"wh-{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())
