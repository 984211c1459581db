from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.actors import Actor
from kernel.schema import PROBLEM_RESPONSES
from orders.api.serializers import OrderInput, OrderOutput
from orders.selectors import order_get
from orders.services import order_upsert


class OrderDetailApi(APIView):
    """A storefront's order, mirrored: PUT creates or replaces it, GET reads it."""

    @extend_schema(
        operation_id="orders_retrieve",
        responses={200: OrderOutput, **PROBLEM_RESPONSES},
        tags=["orders"],
    )
    def get(self, request, external_id):
        order = order_get(retailer=request.auth.retailer, external_id=external_id)
        return Response(OrderOutput(order).data)

    @extend_schema(
        operation_id="orders_put",
        request=OrderInput,
        responses={200: OrderOutput, 201: OrderOutput, **PROBLEM_RESPONSES},
        tags=["orders"],
        description=(
            "Create (201) or replace (200) an order. Lines of an unfulfilled order reserve "
            "stock; payments must add up to the total (`payments_mismatch`); lines with "
            "cancelled units cannot be removed or shrunk below them."
        ),
    )
    def put(self, request, external_id):
        serializer = OrderInput(data=request.data, context={"external_id": external_id})
        serializer.is_valid(raise_exception=True)
        retailer = request.auth.retailer
        _order, created = order_upsert(
            retailer=retailer,
            external_id=external_id,
            data=serializer.validated_data,
            actor=Actor.for_api_key(request.auth),
        )
        order = order_get(retailer=retailer, external_id=external_id)
        return Response(OrderOutput(order).data, status=201 if created else 200)
