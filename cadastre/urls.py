from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("catalog.api.urls")),
    path("api/", include("projects.api.urls")),
    path("api/", include("workers.api.urls")),
    path("api/governance/", include("governance.api.urls")),
    path("", include("frontend.urls")),
]
# MEDIA is never served directly: delivered files hold personal data and are only downloaded
# through views that check access.
