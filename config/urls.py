from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("orders.api.urls")),
    path("", include("cancellations.api.urls")),
    path("", include("returns.api.urls")),
    path("", include("refunds.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("retailers.api.urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script,
    # so the docs work under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("", include("ops.urls")),
    path("", include("connectors.urls")),
    path("", include("config.web_urls")),
]

handler404 = "config.error_views.not_found"
handler500 = "config.error_views.server_error"
