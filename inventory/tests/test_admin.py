"""Supervisors read stock in admin; nobody edits the ledger there."""

import pytest
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, supervisor):
    supervisor.user.is_superuser = supervisor.user.is_staff = True
    supervisor.user.save()
    client.force_login(supervisor.user)
    return client


def test_level_page_shows_counts_and_latest_movements_read_only(admin_client, make_order, move):
    move("TEE", "receive", 10)
    make_order("A-1", lines=(("l1", "TEE", 2, "10.00"),))
    level = StockLevel.objects.get()

    page = admin_client.get(reverse("admin:inventory_stocklevel_change", args=[level.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Latest movements (up to 50)" in html
    assert "reserve" in html and "receive" in html
    assert 'name="_save"' not in html  # nothing to save: read-only
    assert f"?level__id__exact={level.pk}" in html


def test_level_list_searches_sku_and_filters_by_warehouse(admin_client, move):
    move("TEE", "receive", 1, warehouse="main")
    move("CAP", "receive", 1, warehouse="east")
    url = reverse("admin:inventory_stocklevel_changelist")

    by_sku = admin_client.get(url, {"q": "TEE"}).content.decode()
    east = StockLevel.objects.get(sku="CAP").warehouse_id
    by_warehouse = admin_client.get(url, {"warehouse__id__exact": east}).content.decode()

    assert "TEE" in by_sku and "CAP" not in by_sku
    assert "CAP" in by_warehouse and "TEE" not in by_warehouse


def test_ledger_cannot_be_added_changed_or_deleted(admin_client, move):
    movement = move("TEE", "receive", 1)
    level = StockLevel.objects.get()

    assert admin_client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
    assert admin_client.get(reverse("admin:inventory_stocklevel_add")).status_code == 403
    delete = reverse("admin:inventory_stockmovement_delete", args=[movement.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    admin_client.post(change, {"on_hand": 99})
    assert StockMovement.objects.count() == 1
    assert StockLevel.objects.get().on_hand == 1


def test_movement_list_filters_by_level(admin_client, move):
    move("TEE", "receive", 3)
    move("CAP", "receive", 4)
    level = StockLevel.objects.get(sku="TEE")

    page = admin_client.get(
        reverse("admin:inventory_stockmovement_changelist"), {"level__id__exact": level.pk}
    )

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == list(level.movements.all())


def test_warehouse_code_is_fixed_once_created(admin_client, retailer):
    warehouse = WarehouseFactory(retailer=retailer, code="main")

    admin_client.post(
        reverse("admin:inventory_warehouse_change", args=[warehouse.pk]),
        {"code": "other", "name": "Main hall"},
    )

    warehouse.refresh_from_db()
    assert (warehouse.code, warehouse.name) == ("main", "Main hall")
