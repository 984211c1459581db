from django.urls import path

from notifications.api.views import WebhookDetailApi, WebhookListApi

urlpatterns = [
    path("webhooks", WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>", WebhookDetailApi.as_view(), name="webhook-detail"),
]
