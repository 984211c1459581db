"""GET/PUT /api/v1/policy and the admin: every edit is a new version, old ones are history."""

import pytest

from retailers.models import Policy

pytestmark = pytest.mark.django_db


def test_a_new_retailer_has_the_default_policy(api):
    data = api.get("/api/v1/policy").json()

    assert data["version"] == 1
    assert {k: data[k] for k in Policy.CONTRACT_FIELDS} == {
        "cancellation_window_hours": 24,
        "return_window_days": 30,
        "abuse_threshold": 5,
        "auto_approve_limit": "250.00",
        "agent_approval_limit": "1000.00",
        "require_customer_confirmation": True,
        "refund_shipping_on_full_cancel": True,
        "customer_confirmation_hours": 48,
        "refund_timeline_text": "5-10 business days",
        "return_ship_by_days": 14,
        "auto_authorise_returns": True,
        "restocking_fee_percent": "0.00",
        "return_label_fee": "0.00",
        "store_credit_bonus_percent": "0.00",
        "exchanges_allowed": True,
        "dispute_response_hours": 72,
        "warehouse_response_hours": 4,
    }


def test_put_replaces_the_policy_as_a_new_version(api, retailer):
    api.put("/api/v1/policy", {"auto_approve_limit": "100.00", "abuse_threshold": 3}, format="json")

    response = api.put("/api/v1/policy", {"cancellation_window_hours": 12}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["version"] == 3
    assert data["cancellation_window_hours"] == 12
    assert data["auto_approve_limit"] == "250.00"  # absent fields take their defaults
    assert data["abuse_threshold"] == 5
    assert list(Policy.objects.filter(retailer=retailer).values_list("version", flat=True)) == [
        3,
        2,
        1,
    ]
    assert Policy.objects.get(retailer=retailer, version=2).auto_approve_limit == 100


@pytest.mark.parametrize(
    "body",
    [
        {"cancellation_window_hours": -1},
        {"auto_approve_limit": "lots"},
        {"abuse_threshold": 0},
        {"require_customer_confirmation": "maybe"},
        {"colour": "blue"},
    ],
)
def test_bad_policy_is_refused_and_changes_nothing(api, retailer, body):
    response = api.put("/api/v1/policy", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Policy.objects.filter(retailer=retailer).count() == 1


def test_policies_are_per_retailer(api, other_api):
    api.put("/api/v1/policy", {"abuse_threshold": 2}, format="json")
    assert other_api.get("/api/v1/policy").json()["abuse_threshold"] == 5


def test_saving_in_admin_creates_the_next_version(client, retailer, supervisor):
    supervisor.user.is_superuser = True  # model permissions, as a BPO admin would grant
    supervisor.user.save()
    client.force_login(supervisor.user)
    current = Policy.objects.get(retailer=retailer)
    form = {name: getattr(current, name) for name in Policy.EDITABLE_FIELDS} | {
        "retailer": retailer.pk,
        "auto_approve_limit": "75.00",
    }

    response = client.post(f"/admin/retailers/policy/{current.pk}/change/", form)

    assert response.status_code == 302
    versions = Policy.objects.filter(retailer=retailer).order_by("version")
    assert [(p.version, str(p.auto_approve_limit)) for p in versions] == [
        (1, "250.000"),
        (2, "75.000"),
    ]
    old_page = client.get(f"/admin/retailers/policy/{current.pk}/change/")
    assert b'name="auto_approve_limit"' not in old_page.content  # history is read-only
