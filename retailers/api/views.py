from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.schema import PROBLEM_RESPONSES
from retailers.api.serializers import PolicyInput, PolicyOutput
from retailers.services import policy_current, policy_update


class PolicyApi(APIView):
    """The retailer's current cancellation policy. Every PUT is a new version."""

    @extend_schema(
        operation_id="policy_retrieve",
        responses={200: PolicyOutput, **PROBLEM_RESPONSES},
        tags=["policy"],
    )
    def get(self, request):
        return Response(PolicyOutput(policy_current(retailer=request.auth.retailer)).data)

    @extend_schema(
        operation_id="policy_replace",
        request=PolicyInput,
        responses={200: PolicyOutput, **PROBLEM_RESPONSES},
        tags=["policy"],
        description="Replace the policy (absent fields take their defaults) as a new version; "
        "past decisions keep the version they applied.",
    )
    def put(self, request):
        serializer = PolicyInput(
            data=request.data, context={"currency": request.auth.retailer.currency}
        )
        serializer.is_valid(raise_exception=True)
        policy = policy_update(
            retailer=request.auth.retailer,
            values=serializer.validated_data,
            created_by=request.auth.label,
        )
        return Response(PolicyOutput(policy).data)
