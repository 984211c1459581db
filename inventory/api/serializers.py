from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import StockLevel
from kernel.serializers import StrictIntegerField, StrictSerializer


class StockSetInput(StrictSerializer):
    """The body of PUT /inventory/{sku}; the SKU itself comes from the path (context)."""

    warehouse = serializers.CharField(max_length=64, help_text="Warehouse code.")
    on_hand = StrictIntegerField(
        min_value=0, max_value=1_000_000_000, help_text="Units physically in the warehouse."
    )

    def validate(self, attrs):
        limit = StockLevel._meta.get_field("sku").max_length
        if len(self.context["sku"]) > limit:
            raise serializers.ValidationError(
                {"sku": [f"Ensure this field has no more than {limit} characters."]}
            )
        return attrs


class WarehouseStockOutput(serializers.Serializer):
    warehouse = serializers.CharField(source="warehouse.code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class SkuStockOutput(serializers.Serializer):
    sku = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    warehouses = WarehouseStockOutput(many=True, source="levels")


class MovementSourceOutput(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()


class StockMovementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    quantity = serializers.IntegerField()
    on_hand_delta = serializers.IntegerField()
    reserved_delta = serializers.IntegerField()
    warehouse = serializers.CharField(source="level.warehouse.code")
    order = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor_label")
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="External id."))
    def get_order(self, movement):
        return movement.order.external_id if movement.order_id else None

    @extend_schema_field(MovementSourceOutput(allow_null=True))
    def get_source(self, movement):
        if not movement.source_type:
            return None
        return {"type": movement.source_type, "id": movement.source_id}
