from django.urls import path

from portal import returns, views

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.confirmation_page, name="confirm"),
    path("c/messages/<str:token>/", views.preferences_page, name="preferences"),
    path("r/return/<str:token>/", returns.return_page, name="return"),
    path("r/return/<str:token>/label.pdf", returns.return_label, name="return_label"),
    path("r/<str:token>/", returns.return_start_page, name="return_start"),
]
