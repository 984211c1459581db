from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.confirmation_page, name="confirm"),
    path("c/messages/<str:token>/", views.preferences_page, name="preferences"),
]
