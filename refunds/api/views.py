from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.schema import PROBLEM_RESPONSES
from refunds.api.serializers import RefundOutput
from refunds.filters import RefundFilter
from refunds.models import Refund
from refunds.selectors import refund_get, refunds_for_retailer


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
