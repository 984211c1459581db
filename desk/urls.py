"""The desk's screens (the storefront API is under /api/, each app's `api.urls`)."""

from django.urls import path

from desk import views
from desk.cancellations import views as cancellation_views

app_name = "queue"

urlpatterns = [
    path("queue/", views.queue_list, name="list"),
    path("queue/next/", views.queue_next, name="next"),
    path("queue/overview/", views.overview, name="overview"),
    # Cancellation requests
    path("queue/cases/<int:pk>/", cancellation_views.case_detail, name="case"),
    path("queue/cases/<int:pk>/preview/", cancellation_views.case_preview, name="preview"),
    path(
        "queue/cases/<int:pk>/refunds/<int:refund_pk>/<slug:action>/",
        cancellation_views.refund_action,
        name="refund-action",
    ),
    path("queue/cases/<int:pk>/<slug:action>/", cancellation_views.case_action, name="action"),
]
