"""Mounted at /counter/ by sumida_kokuho.urls (next to /counter/reader/, the card reader)."""

from __future__ import annotations

from django.urls import URLPattern, path

from eligibility.counter import document_views, event_views, queue_views, views

app_name = "counter"

_person_events = [
    path(
        f"person/<int:pk>/{slug.replace('_', '-')}/",
        event_views.record_person_event,
        {"event": slug},
        name=slug,
    )
    for slug in event_views.PERSON_EVENTS
]
_household_events = [
    path(
        f"household/<int:pk>/{slug.replace('_', '-')}/",
        event_views.record_household_event,
        {"event": slug},
        name=slug,
    )
    for slug in event_views.HOUSEHOLD_EVENTS
]

urlpatterns: list[URLPattern] = [
    path("person/<int:pk>/", views.person_page, name="person"),
    path("household/<int:pk>/", views.household_page, name="household"),
    *_person_events,
    *_household_events,
    # documents
    path(
        "person/<int:pk>/certificate/",
        document_views.issue_certificate,
        name="issue_certificate",
    ),
    path("person/<int:pk>/notice/", document_views.hand_out_notice, name="hand_out_notice"),
    path("certificate/<int:pk>/", document_views.certificate_page, name="certificate"),
    path("certificate/<int:pk>/pdf", document_views.certificate_download, name="certificate_pdf"),
    path("certificate/<int:pk>/void/", document_views.void_certificate, name="void_certificate"),
    path("notice/<int:pk>/", document_views.notice_page, name="notice"),
    path("notice/<int:pk>/pdf", document_views.notice_download, name="notice_pdf"),
    path(
        "person/<int:pk>/activation-code/",
        document_views.issue_activation_code,
        name="activation_code",
    ),
    # applications
    path("applications/", queue_views.queue, name="applications"),
    path("applications/<int:pk>/approve/", queue_views.approve, name="approve"),
    path("applications/<int:pk>/reject/", queue_views.reject, name="reject"),
    path("person/<int:pk>/application/", queue_views.apply, name="apply"),
]
