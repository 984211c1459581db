from rest_framework import serializers

from kernel.money import ZERO
from kernel.serializers import (
    AmountField,
    CurrencyField,
    MoneyField,
    StrictIntegerField,
    StrictSerializer,
    check_precision,
    money,
)
from orders.models import Order
from orders.selectors import order_refunded_total


class CustomerInput(StrictSerializer):
    external_id = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class LineInput(StrictSerializer):
    external_id = serializers.CharField(max_length=100)
    sku = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)
    unit_price = MoneyField()
    discount = MoneyField(required=False, default=ZERO)
    tax = MoneyField(required=False, default=ZERO)
    final_sale = serializers.BooleanField(required=False, default=False)
    warehouse = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["discount"] > attrs["quantity"] * attrs["unit_price"]:
            raise serializers.ValidationError({"discount": ["Exceeds the line's price."]})
        return attrs


class PaymentInput(StrictSerializer):
    external_id = serializers.CharField(max_length=100)
    method = serializers.CharField(max_length=50)
    amount = MoneyField()
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OrderInput(StrictSerializer):
    placed_at = serializers.DateTimeField()
    currency = CurrencyField()
    customer = CustomerInput()
    fulfillment_status = serializers.ChoiceField(
        choices=Order.Fulfillment.choices, required=False, default=Order.Fulfillment.UNFULFILLED
    )
    shipped_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    shipping = MoneyField(required=False, default=ZERO)
    lines = LineInput(many=True, allow_empty=False, max_length=1000)
    payments = PaymentInput(many=True, required=False, default=list, max_length=100)

    def validate(self, attrs):
        errors: dict[str, list] = {}
        # The order's own id comes from the path (context) on PUT.
        external_id = self.context.get("external_id")
        limit = Order._meta.get_field("external_id").max_length
        if external_id is not None and len(external_id) > limit:
            errors["external_id"] = [f"Ensure this field has no more than {limit} characters."]
        currency = attrs["currency"]
        check_precision(errors, "shipping", attrs["shipping"], currency)
        for i, line in enumerate(attrs["lines"]):
            for field in ("unit_price", "discount", "tax"):
                check_precision(errors, f"lines[{i}].{field}", line[field], currency)
        for i, payment in enumerate(attrs["payments"]):
            check_precision(errors, f"payments[{i}].amount", payment["amount"], currency)
        for name in ("lines", "payments"):
            ids = [item["external_id"] for item in attrs[name]]
            if len(ids) != len(set(ids)):
                errors.setdefault(name, []).append("external_id values must be unique.")
        status = attrs["fulfillment_status"]
        if status == Order.Fulfillment.DELIVERED and not attrs["delivered_at"]:
            errors.setdefault("delivered_at", []).append("Required when delivered.")
        if status == Order.Fulfillment.SHIPPED and not attrs["shipped_at"]:
            errors.setdefault("shipped_at", []).append("Required when shipped.")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CustomerOutput(serializers.Serializer):
    external_id = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()


class LineOutput(serializers.Serializer):
    external_id = serializers.CharField()
    sku = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = AmountField(currency="order.currency")
    discount = AmountField(currency="order.currency")
    tax = AmountField(currency="order.currency")
    total = AmountField(currency="order.currency")
    final_sale = serializers.BooleanField()
    warehouse = serializers.CharField()
    cancelled_quantity = serializers.IntegerField()
    refunded_amount = AmountField(currency="order.currency")


class PaymentOutput(serializers.Serializer):
    external_id = serializers.CharField()
    method = serializers.CharField()
    amount = AmountField(currency="order.currency")
    reference = serializers.CharField()
    refunded_amount = AmountField(currency="order.currency")


class OrderOutput(serializers.Serializer):
    external_id = serializers.CharField()
    placed_at = serializers.DateTimeField()
    currency = serializers.CharField()
    customer = CustomerOutput()
    fulfillment_status = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    shipping = AmountField(currency="currency")
    total = AmountField(currency="currency")
    refunded_total = serializers.SerializerMethodField()
    lines = LineOutput(many=True)
    payments = PaymentOutput(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_refunded_total(self, order) -> str:
        return money(order_refunded_total(order), order.currency)
