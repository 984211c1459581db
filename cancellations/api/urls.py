from django.urls import path

from cancellations.api import views

urlpatterns = [
    path("cancellations", views.CancellationListCreateApi.as_view(), name="cancellation-list"),
    path(
        "cancellations/preview",
        views.CancellationPreviewApi.as_view(),
        name="cancellation-preview",
    ),
    path(
        "cancellations/<int:pk>", views.CancellationDetailApi.as_view(), name="cancellation-detail"
    ),
    path(
        "cancellations/<int:pk>/withdraw",
        views.CancellationWithdrawApi.as_view(),
        name="cancellation-withdraw",
    ),
    path(
        "cancellations/<int:pk>/confirm",
        views.CancellationConfirmApi.as_view(),
        name="cancellation-confirm",
    ),
    path(
        "cancellations/<int:pk>/warehouse",
        views.CancellationWarehouseApi.as_view(),
        name="cancellation-warehouse",
    ),
]
