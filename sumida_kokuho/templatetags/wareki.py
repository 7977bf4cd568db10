"""The one template filter for dates on documents: 和暦 in Japanese, a plain date in English.

Loaded as a template builtin (settings.TEMPLATES), so templates use it without {% load %}:
    {{ card.valid_until|wareki }}          令和7年9月30日 / 30 September 2025
    {{ card.valid_until|wareki_seireki }}  令和7年9月30日（2025年） / 30 September 2025 (Reiwa 7)
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from sumida_kokuho.wareki import format_date_en, to_wareki, to_wareki_en

register = template.Library()


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        # Instants are shown on the calendar day they fall on in Tokyo.
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


@register.filter(is_safe=True)
def wareki(value: object) -> object:
    day = _as_date(value)
    if day is None:
        return "" if value is None else value
    try:
        return to_wareki(day) if _japanese() else format_date_en(day)
    except ValueError:  # before 1873: no 和暦 form, show the ISO date rather than fail the page
        return day.isoformat()


@register.filter(is_safe=True)
def wareki_seireki(value: object) -> object:
    day = _as_date(value)
    if day is None:
        return "" if value is None else value
    try:
        return to_wareki(day, seireki=True) if _japanese() else to_wareki_en(day)
    except ValueError:
        return day.isoformat()
