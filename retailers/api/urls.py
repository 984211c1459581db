from django.urls import path

from retailers.api.views import PolicyApi

urlpatterns = [
    path("policy", PolicyApi.as_view(), name="policy"),
]
