"""Mounted at /counter/reader/ by sumida_kokuho.urls."""

from __future__ import annotations

from django.urls import path

from cards import reader_views

app_name = "reader"

urlpatterns = [
    path("<slug:counter>/", reader_views.counter_reader, name="counter"),
    path("<slug:counter>/start/", reader_views.start_verification, name="start"),
    path("<slug:counter>/latest.json", reader_views.latest_verification, name="latest"),
]
