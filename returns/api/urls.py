from django.urls import path

from returns.api import views

urlpatterns = [
    path("returns", views.ReturnListCreateApi.as_view(), name="return-list"),
    path("returns/<str:pk>", views.ReturnDetailApi.as_view(), name="return-detail"),
    path("returns/<str:pk>/authorise", views.ReturnAuthoriseApi.as_view(), name="return-authorise"),
    path("returns/<str:pk>/decline", views.ReturnDeclineApi.as_view(), name="return-decline"),
    path("returns/<str:pk>/cancel", views.ReturnCancelApi.as_view(), name="return-cancel"),
    path("returns/<str:pk>/label", views.ReturnLabelApi.as_view(), name="return-label"),
    path("returns/<str:pk>/shipped", views.ReturnShippedApi.as_view(), name="return-shipped"),
    path("returns/<str:pk>/receive", views.ReturnReceiveApi.as_view(), name="return-receive"),
    path("returns/<str:pk>/inspect", views.ReturnInspectApi.as_view(), name="return-inspect"),
    path(
        "carriers/<str:carrier>/events",
        views.CarrierTrackingApi.as_view(),
        name="carrier-events",
    ),
]
