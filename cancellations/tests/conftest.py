import pytest

from retailers.services import policy_update


@pytest.fixture
def submit(api):
    """POST /api/v1/cancellations and return the response."""

    def post(order="ord-1", reason="changed_mind", **fields):
        return api.post(
            "/api/v1/cancellations", {"order": order, "reason": reason, **fields}, format="json"
        )

    return post


@pytest.fixture
def set_policy(retailer):
    def apply(**values):
        return policy_update(retailer=retailer, values=values, created_by="test")

    return apply
