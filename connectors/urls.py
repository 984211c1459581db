from django.urls import path

from connectors import views

app_name = "connectors"

urlpatterns = [
    path("connectors/shopify/webhooks", views.shopify_webhook, name="shopify-webhooks"),
]
