from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import Pagination
from kernel.schema import PROBLEM_RESPONSES, paginated
from notifications.api.serializers import (
    WebhookEndpointCreated,
    WebhookEndpointInput,
    WebhookEndpointOutput,
)
from notifications.selectors import webhook_endpoint_get, webhook_endpoints_for
from notifications.services import webhook_endpoint_create, webhook_endpoint_delete

ERRORS = {k: v for k, v in PROBLEM_RESPONSES.items() if k in (400, 401, 429)}


class WebhookListApi(APIView):
    """The retailer's webhook endpoints (SPEC §5)."""

    @extend_schema(
        operation_id="webhooks_list",
        responses={200: paginated(WebhookEndpointOutput), **ERRORS},
        tags=["webhooks"],
        description=(
            "Endpoints of this API key's retailer, newest first. Secrets are not listed: "
            "they are shown once, when the endpoint is created."
        ),
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(
            webhook_endpoints_for(retailer=request.auth.retailer), request, view=self
        )
        return paginator.get_paginated_response(WebhookEndpointOutput(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        request=WebhookEndpointInput,
        responses={201: WebhookEndpointCreated, **ERRORS},
        tags=["webhooks"],
        description=(
            "Register an endpoint. The answer carries the signing `secret`, once. URLs that "
            "resolve to private, loopback, link-local or reserved addresses are refused "
            "(`invalid`, field `url`) unless the deployment allows them."
        ),
    )
    def post(self, request):
        serializer = WebhookEndpointInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(
            retailer=request.auth.retailer,
            url=serializer.validated_data["url"],
            events=serializer.validated_data["events"],
        )
        return Response(WebhookEndpointCreated(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    @extend_schema(
        operation_id="webhooks_delete",
        responses={
            204: OpenApiResponse(description="Deleted."),
            **{k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 404, 429)},
        },
        tags=["webhooks"],
    )
    def delete(self, request, pk):
        endpoint = webhook_endpoint_get(retailer=request.auth.retailer, pk=pk)
        webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)
