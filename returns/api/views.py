from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.schema import PROBLEM_RESPONSES, problem_response
from retailers.idempotency import idempotent
from returns.api.serializers import (
    CarrierEventInput,
    DeclineInput,
    InspectInput,
    ReceiveInput,
    ReturnInput,
    ReturnOutput,
    ShippedInput,
)
from returns.filters import ReturnFilter
from returns.inspection import return_inspect
from returns.models import Return
from returns.receiving import return_mark_shipped, return_receive
from returns.selectors import return_for_tracking, return_get, returns_for_retailer
from returns.services import return_authorise, return_cancel, return_create, return_decline

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Same key and body replay the first response; a different body is 422.",
)
CONFLICTS = {
    409: problem_response("`illegal_transition` (with `current_status`), `idempotency_key_in_use`.")
}
REFUSALS = {
    422: problem_response(
        "`order_not_found`, `line_not_found`, `not_shipped`, `outside_return_window`, "
        "`not_returnable`, `quantity_exceeds_remaining`, `out_of_stock`, "
        "`exchanges_not_allowed`, `idempotency_key_reused`."
    )
}


class ReturnListCreateApi(ListAPIView):
    """Start a return of shipped goods, or list this retailer's returns."""

    serializer_class = ReturnOutput
    filterset_class = ReturnFilter
    queryset = Return.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return returns_for_retailer(retailer=self.request.auth.retailer).order_by(
            "-created_at", "-id"
        )

    @extend_schema(
        operation_id="returns_list",
        responses={200: ReturnOutput(many=True), **PROBLEM_RESPONSES},
        tags=["returns"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="returns_create",
        request=ReturnInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: ReturnOutput, **PROBLEM_RESPONSES, **CONFLICTS, **REFUSALS},
        tags=["returns"],
        description="Authorised at once (with its label) under the policy's "
        "`auto_authorise_returns`, otherwise `requested` for an agent.",
    )
    @idempotent
    def post(self, request):
        serializer = ReturnInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        retailer = request.auth.retailer
        created = return_create(
            retailer=retailer, actor=Actor.for_api_key(request.auth), **serializer.validated_data
        )
        return Response(ReturnOutput(return_get(retailer=retailer, pk=created.pk)).data, status=201)


class ReturnDetailApi(APIView):
    @extend_schema(
        operation_id="returns_retrieve",
        responses={200: ReturnOutput, **PROBLEM_RESPONSES},
        tags=["returns"],
    )
    def get(self, request, pk):
        return Response(ReturnOutput(return_get(retailer=request.auth.retailer, pk=pk)).data)


class _ReturnActionApi(APIView):
    input_serializer = None

    def act(self, return_request, actor, data):
        raise NotImplementedError

    def post(self, request, pk):
        retailer = request.auth.retailer
        # Another retailer's return is not found, whatever the body says.
        return_request = return_get(retailer=retailer, pk=pk)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        self.act(return_request, Actor.for_api_key(request.auth), data)
        return Response(ReturnOutput(return_get(retailer=retailer, pk=pk)).data)


def _action(name, *, request=None, description=""):
    return extend_schema(
        operation_id=f"returns_{name}",
        request=request,
        responses={200: ReturnOutput, **PROBLEM_RESPONSES, **CONFLICTS, **REFUSALS},
        tags=["returns"],
        description=description,
    )


class ReturnAuthoriseApi(_ReturnActionApi):
    @_action("authorise", description="Authorise a requested return: its label is bought.")
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, return_request, actor, data):
        return_authorise(return_request=return_request, actor=actor)


class ReturnDeclineApi(_ReturnActionApi):
    input_serializer = DeclineInput

    @_action("decline", request=DeclineInput, description="Decline a requested return.")
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, return_request, actor, data):
        return_decline(return_request=return_request, actor=actor, reason=data["reason"])


class ReturnCancelApi(_ReturnActionApi):
    @_action("cancel", description="Cancel a requested or authorised return.")
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, return_request, actor, data):
        return_cancel(
            return_request=return_request, actor=actor, why="Cancelled by the storefront."
        )


class ReturnShippedApi(_ReturnActionApi):
    input_serializer = ShippedInput

    @_action("shipped", request=ShippedInput, description="The carrier's first scan.")
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, return_request, actor, data):
        return_mark_shipped(
            return_request=return_request,
            actor=actor,
            tracking_number=data.get("tracking_number", ""),
        )


class ReturnReceiveApi(_ReturnActionApi):
    input_serializer = ReceiveInput

    @_action(
        "receive",
        request=ReceiveInput,
        description="A parcel arrived: the units in it (units not listed did not).",
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, return_request, actor, data):
        return_receive(
            return_request=return_request,
            lines=data["lines"],
            warehouse=data.get("warehouse", ""),
            actor=actor,
        )


class ReturnInspectApi(_ReturnActionApi):
    input_serializer = InspectInput

    @_action(
        "inspect",
        request=InspectInput,
        description="Counts per grade of the received units not yet graded; the rest is "
        "missing. Refunds, store credit or the exchange follow.",
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, return_request, actor, data):
        return_inspect(return_request=return_request, lines=data["lines"], actor=actor)


class ReturnLabelApi(APIView):
    @extend_schema(
        operation_id="returns_label",
        responses={
            (200, "application/pdf"): OpenApiResponse(description="The label, a PDF."),
            **PROBLEM_RESPONSES,
        },
        tags=["returns"],
    )
    def get(self, request, pk):
        return_request = return_get(retailer=request.auth.retailer, pk=pk)
        pdf = Return.objects.filter(pk=return_request.pk).values_list("label_pdf", flat=True).get()
        if not pdf:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"Return {return_request.pk} has no label yet (not authorised).",
            )
        response = HttpResponse(bytes(pdf), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="return-{return_request.pk}-{return_request.tracking_number}.pdf"'
        )
        return response


class CarrierTrackingApi(APIView):
    """The sandbox carrier's tracking webhook: its first scan is `shipped`."""

    @extend_schema(
        operation_id="carriers_sandbox_events",
        request=CarrierEventInput,
        responses={200: ReturnOutput, **PROBLEM_RESPONSES, **CONFLICTS},
        tags=["returns"],
        description="`tracking.in_transit` marks the return shipped (a repeat changes "
        "nothing); other types are acknowledged and ignored.",
    )
    def post(self, request, carrier):
        if carrier != "sandbox":
            raise DomainError(ErrorCode.NOT_FOUND, f"No carrier {carrier!r}.")
        serializer = CarrierEventInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = serializer.validated_data
        retailer = request.auth.retailer
        return_request = return_for_tracking(
            retailer=retailer, tracking_number=event["tracking_number"]
        )
        if event["type"] == "tracking.in_transit":
            return_mark_shipped(
                return_request=return_request,
                actor=Actor.system(f"{carrier} carrier tracking"),
                tracking_number=event["tracking_number"],
            )
        return Response(ReturnOutput(return_get(retailer=retailer, pk=return_request.pk)).data)
