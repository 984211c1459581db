"""Baseline (b) of the benchmark: the least an authenticated API request can cost here."""

from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.errors import NotFound
from orders.models import Order


class BaselineReadApi(APIView):
    """One order row by primary key, through the API's own authentication, permission,
    throttle, parser and renderer: everything a real endpoint pays before its own work."""

    def get(self, request, pk):
        row = (
            Order.objects.filter(pk=pk, retailer_id=request.auth.retailer_id)
            .values("id", "external_id", "currency", "total")
            .first()
        )
        if row is None:
            raise NotFound("No such order for this retailer.")
        row["total"] = str(row["total"])
        return Response(row)
