from django.urls import path

from refunds.api.views import (
    RefundDetailApi,
    RefundListApi,
    StoreCreditDetailApi,
    StoreCreditListApi,
)

urlpatterns = [
    path("refunds", RefundListApi.as_view(), name="refund-list"),
    path("refunds/<str:refund_id>", RefundDetailApi.as_view(), name="refund-detail"),
    path("store-credits", StoreCreditListApi.as_view(), name="store-credit-list"),
    path(
        "store-credits/<str:store_credit_id>",
        StoreCreditDetailApi.as_view(),
        name="store-credit-detail",
    ),
]
