"""The product's URLs, and the baseline endpoint only the benchmark serves."""

from django.urls import path

from bench.views import BaselineReadApi
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/orders/<int:pk>", BaselineReadApi.as_view()),
    *product_urlpatterns,
]
