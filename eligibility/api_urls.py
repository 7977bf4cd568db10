from django.urls import path

from eligibility.api import assess_view

app_name = "api"
urlpatterns = [
    path("assess", assess_view, name="assess"),
]
