from django.urls import path

from eligibility.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.status, name="status"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/apply/", views.apply, name="apply"),
    path("help/", views.help_page, name="help"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("activate/", views.activate, name="activate"),
    path("sign-in/app/", views.oidc_start, name="oidc_start"),
    path("sign-in/app/callback/", views.oidc_callback, name="oidc_callback"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
]
