from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from cancellations.api.serializers import (
    CancellationInput,
    CancellationOutput,
    PreviewInput,
    PreviewOutput,
    WarehouseAnswerInput,
    preview_data,
)
from cancellations.filters import CancellationFilter
from cancellations.models import CancellationRequest
from cancellations.selectors import cancellations_for_api
from cancellations.services import (
    cancellation_confirm,
    cancellation_preview,
    cancellation_submit,
    cancellation_withdraw,
)
from cancellations.warehouse import cancellation_warehouse_answer
from kernel.actors import Actor
from kernel.errors import NotFound
from kernel.schema import PROBLEM_RESPONSES, problem_response
from retailers.idempotency import idempotent

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Same key and body replay the first response; a different body is 422.",
)
CONFLICTS = {
    409: problem_response(
        "`open_request_exists` (with `request`), `already_cancelled`, `illegal_transition`, "
        "`idempotency_key_in_use`."
    )
}


def _cancellation(request, pk):
    """The storefront's own request `pk` (another retailer's is not_found)."""
    found = cancellations_for_api(retailer=request.auth.retailer).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such cancellation request for this retailer.")
    return found


class CancellationListCreateApi(ListAPIView):
    """Submit a cancellation request, or list this retailer's requests."""

    serializer_class = CancellationOutput
    filterset_class = CancellationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no retailer
            return CancellationRequest.objects.none()
        return cancellations_for_api(retailer=self.request.auth.retailer).order_by(
            "-created_at", "-id"
        )

    @extend_schema(
        operation_id="cancellations_list",
        responses={200: CancellationOutput(many=True), **PROBLEM_RESPONSES},
        tags=["cancellations"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="cancellations_create",
        request=CancellationInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: CancellationOutput, **PROBLEM_RESPONSES, **CONFLICTS},
        tags=["cancellations"],
        description=(
            "Submit a full (no `lines`) or partial cancellation. The request is verified at "
            "once against the retailer's policy; a policy rejection is still a request (201, "
            "status `rejected`)."
        ),
    )
    @idempotent
    def post(self, request):
        serializer = CancellationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        retailer = request.auth.retailer
        # The service hands back the request with the lines and refunds its transaction
        # wrote, so rendering it reads nothing back.
        cancellation = cancellation_submit(
            retailer=retailer, actor=Actor.for_api_key(request.auth), **serializer.validated_data
        )
        return Response(CancellationOutput(cancellation).data, status=201)


class CancellationPreviewApi(APIView):
    @extend_schema(
        operation_id="cancellations_preview",
        request=PreviewInput,
        responses={200: PreviewOutput, **PROBLEM_RESPONSES, **CONFLICTS},
        tags=["cancellations"],
        description="What a submission would decide and refund, per line and per payment. "
        "Writes nothing.",
    )
    def post(self, request):
        serializer = PreviewInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = cancellation_preview(
            retailer=request.auth.retailer,
            order=data["order"],
            lines=data.get("lines"),
            channel=data["channel"],
        )
        return Response(preview_data(plan, store_credit=data["refund_method"] == "store_credit"))


class CancellationDetailApi(APIView):
    @extend_schema(
        operation_id="cancellations_retrieve",
        responses={200: CancellationOutput, **PROBLEM_RESPONSES},
        tags=["cancellations"],
    )
    def get(self, request, pk):
        return Response(CancellationOutput(_cancellation(request, pk)).data)


class _CancellationActionApi(APIView):
    def act(self, cancellation, actor):
        raise NotImplementedError

    def post(self, request, pk):
        self.act(_cancellation(request, pk), Actor.for_api_key(request.auth))
        return Response(CancellationOutput(_cancellation(request, pk)).data)


class CancellationWithdrawApi(_CancellationActionApi):
    @extend_schema(
        operation_id="cancellations_withdraw",
        request=None,
        responses={200: CancellationOutput, **PROBLEM_RESPONSES, **CONFLICTS},
        tags=["cancellations"],
        description="Withdraw an undecided request (`illegal_transition` once decided).",
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, cancellation, actor):
        cancellation_withdraw(
            cancellation=cancellation, actor=actor, why="Withdrawn by the storefront."
        )


class CancellationConfirmApi(_CancellationActionApi):
    @extend_schema(
        operation_id="cancellations_confirm",
        request=None,
        responses={200: CancellationOutput, **PROBLEM_RESPONSES, **CONFLICTS},
        tags=["cancellations"],
        description="The customer confirmed a request `awaiting_customer`: it is verified again.",
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, cancellation, actor):
        cancellation_confirm(cancellation=cancellation, actor=actor)


class CancellationWarehouseApi(APIView):
    @extend_schema(
        operation_id="cancellations_warehouse_answer",
        request=WarehouseAnswerInput,
        responses={200: CancellationOutput, **PROBLEM_RESPONSES, **CONFLICTS},
        tags=["cancellations"],
        description=(
            "The warehouse's answer to a request `awaiting_warehouse` (SPEC §12): `accepted` "
            "true approves it with its refunds; false (already packed or shipped) makes it "
            "`return_required` with an authorised return. Also accepted late, once the "
            "request went to an agent for want of an answer."
        ),
    )
    def post(self, request, pk):
        serializer = WarehouseAnswerInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        cancellation_warehouse_answer(
            cancellation=_cancellation(request, pk),
            actor=Actor.for_api_key(request.auth),
            **serializer.validated_data,
        )
        return Response(CancellationOutput(_cancellation(request, pk)).data)
