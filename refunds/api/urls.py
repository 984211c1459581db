from django.urls import path

from refunds.api.views import RefundDetailApi, RefundListApi

urlpatterns = [
    path("refunds", RefundListApi.as_view(), name="refund-list"),
    path("refunds/<str:refund_id>", RefundDetailApi.as_view(), name="refund-detail"),
]
