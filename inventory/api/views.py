from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.serializers import SkuStockOutput, StockMovementOutput, StockSetInput
from inventory.models import StockMovement
from inventory.selectors import sku_stock_get, stock_movements_for_sku
from inventory.services import stock_set_on_hand
from kernel.actors import Actor
from kernel.schema import PROBLEM_RESPONSES


class SkuStockApi(APIView):
    """One SKU's stock: GET reads it across warehouses, PUT sets one warehouse's count."""

    @extend_schema(
        operation_id="inventory_retrieve",
        responses={200: SkuStockOutput, **PROBLEM_RESPONSES},
        tags=["inventory"],
        description=(
            "On hand, reserved and available, summed over warehouses and per warehouse. "
            "A SKU this retailer never had stock for answers 404 `not_found`."
        ),
    )
    def get(self, request, sku):
        return Response(SkuStockOutput(sku_stock_get(retailer=request.auth.retailer, sku=sku)).data)

    @extend_schema(
        operation_id="inventory_put",
        request=StockSetInput,
        responses={200: SkuStockOutput, **PROBLEM_RESPONSES},
        tags=["inventory"],
        description=(
            "The storefront's count of the SKU in one warehouse becomes ours: the difference "
            "is written to the ledger as an `adjust` movement (none when it is unchanged). "
            "Reservations are kept, so `available` may go negative when stock runs short."
        ),
    )
    def put(self, request, sku):
        serializer = StockSetInput(data=request.data, context={"sku": sku})
        serializer.is_valid(raise_exception=True)
        retailer = request.auth.retailer
        stock_set_on_hand(
            retailer=retailer,
            sku=sku,
            warehouse_code=serializer.validated_data["warehouse"],
            on_hand=serializer.validated_data["on_hand"],
            actor=Actor.for_api_key(request.auth),
        )
        return Response(SkuStockOutput(sku_stock_get(retailer=retailer, sku=sku)).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="inventory_movements_list",
        parameters=[
            OpenApiParameter("kind", enum=StockMovement.Kind.values, description="Movement kind."),
            OpenApiParameter("warehouse", str, description="Warehouse code."),
        ],
        responses={200: StockMovementOutput(many=True), **PROBLEM_RESPONSES},
        tags=["inventory"],
        description="The SKU's stock ledger, newest first.",
    )
)
class SkuMovementsApi(ListAPIView):
    serializer_class = StockMovementOutput
    filter_backends = []  # the selector applies StockMovementFilter

    def get_queryset(self):
        return stock_movements_for_sku(
            retailer=self.request.auth.retailer,
            sku=self.kwargs["sku"],
            filters=self.request.query_params,
        )
