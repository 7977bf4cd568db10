"""`{{ person|masked_insured_number }}`: the insured number (記号-番号-枝番) with the 番号 masked.

Lists, search results, the application queue, the batch pages and the card reader's panel show
an insured number this way; only the clerk's detail pages of a person and of a household show it
whole, and the documents (資格確認書, 資格情報のお知らせ, the activation letter) print it whole,
because it is what they certify or what the resident must type (README "Personal data").
The 記号 (shared by many households) and the 枝番 (01, 02, …) stay; of the 番号 only the last
two digits do: `13-****78-01`.

    {% load insured %}
    {{ person|masked_insured_number }}      a person, a household, or "13-123478-01" as text
"""

from __future__ import annotations

from django import template

register = template.Library()

MASK = "*"
SHOWN_DIGITS = 2


def mask_number(number: str) -> str:
    """All but the last two characters replaced by "*" (a number of two or fewer: all of it)."""
    if len(number) <= SHOWN_DIGITS:
        return MASK * len(number)
    return MASK * (len(number) - SHOWN_DIGITS) + number[-SHOWN_DIGITS:]


def masked(insured_number: str) -> str:
    """The number "記号-番号[-枝番]" with the 番号 masked; another shape is masked whole."""
    parts = insured_number.split("-")
    if len(parts) in (2, 3) and all(parts):
        parts[1] = mask_number(parts[1])
        return "-".join(parts)
    return MASK * len(insured_number)


@register.filter
def masked_insured_number(value: object) -> str:
    if value is None or value == "":
        return ""
    text = getattr(value, "insured_number", value)
    return masked(str(text))
