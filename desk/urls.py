"""The agent screens (the storefront API is in `cancellations.api.urls`)."""

from django.urls import path

from desk import views

app_name = "queue"

urlpatterns = [
    path("queue/", views.queue_list, name="list"),
    path("queue/next/", views.queue_next, name="next"),
    path("queue/overview/", views.overview, name="overview"),
    path("queue/cases/<int:pk>/", views.case_detail, name="case"),
    path("queue/cases/<int:pk>/preview/", views.case_preview, name="preview"),
    path(
        "queue/cases/<int:pk>/refunds/<int:refund_pk>/<slug:action>/",
        views.refund_action,
        name="refund-action",
    ),
    path("queue/cases/<int:pk>/<slug:action>/", views.case_action, name="action"),
]
