"""Every app's factories are fixtures, and each builds a valid row."""

import pytest

pytestmark = pytest.mark.django_db


def test_factories_are_fixtures_that_make_valid_rows(request):
    names = [
        "retailer_factory",
        "api_key_factory",
        "staff_member_factory",
        "webhook_endpoint_factory",
        "customer_factory",
        "order_factory",
        "order_line_factory",
        "payment_factory",
        "order_event_factory",
        "cancellation_request_factory",
        "cancellation_line_factory",
        "idempotency_key_factory",
        "warehouse_factory",
    ]
    for name in names:
        factory_class = request.getfixturevalue(name)
        instance = factory_class()
        instance.full_clean(validate_unique=False, exclude=["password"])
        assert instance.pk is not None, name


def test_a_cancellation_line_belongs_to_its_requests_order(cancellation_line_factory):
    line = cancellation_line_factory()
    assert line.line.order_id == line.request.order_id


def test_a_refund_is_made_for_a_given_payment(refund_factory, payment_factory):
    payment = payment_factory()
    refund = refund_factory(payment=payment)
    assert refund.retailer_id == payment.order.retailer_id
