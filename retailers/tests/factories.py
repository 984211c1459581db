import factory
from django.contrib.auth import get_user_model

from retailers.models import (
    ApiKey,
    IdempotencyKey,
    Policy,
    Retailer,
    StaffMember,
    WebhookEndpoint,
    hash_api_key,
)


class RetailerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Retailer
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"retailer-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    currency = "USD"

    @factory.post_generation
    def policy(self, create, extracted, **kwargs):
        if create and not self.policies.exists():
            Policy.objects.create(retailer=self, version=1, **kwargs)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    retailer = factory.SubFactory(RetailerFactory)
    version = factory.Sequence(lambda n: n + 2)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """`ApiKeyFactory(key="...")` stores the hash of that key."""

    class Meta:
        model = ApiKey
        exclude = ("key",)

    retailer = factory.SubFactory(RetailerFactory)
    key = factory.Sequence(lambda n: f"rsk_test_key_{n:06d}")
    prefix = factory.LazyAttribute(lambda o: o.key[:10])
    key_hash = factory.LazyAttribute(lambda o: hash_api_key(o.key))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@bpo.example")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    role = StaffMember.Role.AGENT

    @factory.post_generation
    def retailers(self, create, extracted, **kwargs):
        if create and extracted:
            self.retailers.set(extracted)


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    retailer = factory.SubFactory(RetailerFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.com/rescind/{n}")
    secret = factory.Sequence(lambda n: f"whsec_test_{n:08d}")


class IdempotencyKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdempotencyKey

    retailer = factory.SubFactory(RetailerFactory)
    key = factory.Sequence(lambda n: f"idem-{n}")
    method = "POST"
    path = "/api/v1/cancellations"
    request_hash = "0" * 64
    response_status = 201
    response_body = factory.LazyFunction(lambda: {"id": 1})
