from django.urls import path

from orders.api.views import OrderDetailApi

urlpatterns = [
    path("orders/<str:external_id>", OrderDetailApi.as_view(), name="order-detail"),
]
