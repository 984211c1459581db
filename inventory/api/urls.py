from django.urls import path

from inventory.api.views import SkuMovementsApi, SkuStockApi

# `path` lets SKUs hold slashes ("TEE/XL"); the movements route is tried first.
urlpatterns = [
    path("inventory/<path:sku>/movements", SkuMovementsApi.as_view(), name="inventory-movements"),
    path("inventory/<path:sku>", SkuStockApi.as_view(), name="inventory-detail"),
]
