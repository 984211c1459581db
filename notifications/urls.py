from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("c/<str:token>/", views.confirmation_page, name="confirm"),
    path("c/messages/<str:token>/", views.preferences_page, name="preferences"),
]
