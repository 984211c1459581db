from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.schema import PROBLEM_RESPONSES
from refunds.api.serializers import RefundOutput
from refunds.filters import RefundFilter, StoreCreditFilter
from refunds.models import Refund, StoreCredit
from refunds.selectors import (
    refund_get,
    refunds_for_retailer,
    store_credit_get,
    store_credits_for_retailer,
)
from refunds.store_credit.representation import StoreCreditOutput


class RefundListApi(ListAPIView):
    """This retailer's refunds, oldest first; filter by `cancellation` and `status`."""

    serializer_class = RefundOutput
    filterset_class = RefundFilter
    queryset = Refund.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return refunds_for_retailer(retailer=self.request.auth.retailer)

    @extend_schema(
        operation_id="refunds_list",
        responses={200: RefundOutput(many=True), **PROBLEM_RESPONSES},
        tags=["refunds"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RefundDetailApi(APIView):
    """One refund of this retailer; another retailer's is `not_found`."""

    @extend_schema(
        operation_id="refunds_retrieve",
        responses={200: RefundOutput, **PROBLEM_RESPONSES},
        tags=["refunds"],
    )
    def get(self, request, refund_id):
        refund = refund_get(retailer=request.auth.retailer, refund_id=refund_id)
        return Response(RefundOutput(refund).data)


class StoreCreditListApi(ListAPIView):
    """This retailer's store credits, oldest first (SPEC §10)."""

    serializer_class = StoreCreditOutput
    filterset_class = StoreCreditFilter
    queryset = StoreCredit.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return store_credits_for_retailer(retailer=self.request.auth.retailer)

    @extend_schema(
        operation_id="store_credits_list",
        responses={200: StoreCreditOutput(many=True), **PROBLEM_RESPONSES},
        tags=["store credit"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StoreCreditDetailApi(APIView):
    @extend_schema(
        operation_id="store_credits_retrieve",
        responses={200: StoreCreditOutput, **PROBLEM_RESPONSES},
        tags=["store credit"],
    )
    def get(self, request, store_credit_id):
        credit = store_credit_get(retailer=request.auth.retailer, store_credit_id=store_credit_id)
        return Response(StoreCreditOutput(credit).data)
