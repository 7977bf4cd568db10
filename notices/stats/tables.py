"""The statistics page's tables: each a title, columns, rows (shown and raw, for CSV) and a chart.

Built from the aggregated figures of `queries`; wording is done here, in the active language.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import Certificate, CertificateApplication, DocumentReason
from notices.models import Notice
from notices.stats import charts, queries, store

# Figures are kept in the database this long after they are counted (per table and day asked
# for), unless an import or "count again now" drops them first; each night `count_statistics`
# counts them afresh. 0: no keeping (the tests).
DEFAULT_CACHE_SECONDS = 12 * 3600
T = TypeVar("T")


# Documents issued, open applications and documents due change all day with the counter's work
# and cost tenths of a second on a million persons: those are counted again after a few minutes.
# The insured persons and card holders (seconds) change with imports, which drop them.
QUICK_SECONDS = 300
SLOW_FIGURES = frozenset({"insured"})


def cache_seconds() -> int:
    return int(getattr(settings, "STATISTICS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def keep_seconds(name: str) -> int:
    """How long the figures `name` are used once counted (0: not kept)."""
    seconds = cache_seconds()
    if name in SLOW_FIGURES:
        return seconds
    return min(seconds, int(getattr(settings, "STATISTICS_QUICK_SECONDS", QUICK_SECONDS)))


# Within one page the age-band and monthly tables share their query, even when nothing is kept,
# and the page notes when its oldest figures were counted.
_page: ContextVar[dict[str, Any] | None] = ContextVar("statistics_page", default=None)
_COUNTED = "counted_at"


def cached(name: str, as_of: date, compute: Callable[[date], T]) -> T:
    """The figures `compute(as_of)`, as kept in the database when counted recently enough."""
    page = _page.get()
    key = f"{name}:{as_of.isoformat()}"
    if page is not None and key in page:
        return page[key]  # type: ignore[no-any-return]
    seconds = keep_seconds(name)
    found = store.load(name, as_of, seconds) if seconds else None
    if found is None:
        value = compute(as_of)
        counted_at = store.save(name, as_of, value) if seconds else timezone.now()
    else:
        counted_at, value = found
    if page is not None:
        page[key] = value
        page[_COUNTED] = min(counted_at, page.get(_COUNTED, counted_at))
    return value  # type: ignore[no-any-return]


@dataclass(slots=True)
class Table:
    slug: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)  # as shown
    raw: list[list[Any]] = field(default_factory=list)  # as exported
    charts: list[charts.Chart] = field(default_factory=list)
    note: str = ""


def _n(value: int) -> str:
    return f"{value:,}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _band(low: int, high: int) -> str:
    return _("%(low)s–%(high)s") % {"low": low, "high": high}


def age_bands(as_of: date) -> Table:
    rows = cached("insured", as_of, queries.insured_and_holders)[0]
    table = Table(
        slug="age-bands",
        title=_("Insured persons by age band"),
        description=_(
            "Persons insured on %(day)s, by age that day, and how many of them hold a My Number "
            "health insurance card."
        )
        % {"day": as_of.isoformat()},
        columns=[_("Age"), _("Insured persons"), _("Card holders"), _("Share")],
    )
    for r in rows:
        table.rows.append([_band(r.low, r.high), _n(r.insured), _n(r.holders), _share(r.share)])
        table.raw.append([_band(r.low, r.high), r.insured, r.holders, _raw_share(r.share)])
    insured, holders = sum(r.insured for r in rows), sum(r.holders for r in rows)
    share = holders / insured if insured else None
    table.rows.append([_("All"), _n(insured), _n(holders), _share(share)])
    table.raw.append([_("All"), insured, holders, _raw_share(share)])
    labels = [_band(r.low, r.high) for r in rows]
    table.charts.append(
        charts.horizontal_bars(
            id="chart-age-bands",
            title=_("Insured persons by age band"),
            desc=_("Bar chart: %(total)s insured persons in %(bands)s age bands on %(day)s.")
            % {"total": _n(insured), "bands": len(rows), "day": as_of.isoformat()},
            labels=labels,
            values=[r.insured for r in rows],
        )
    )
    table.charts.append(
        charts.horizontal_bars(
            id="chart-age-share",
            title=_("Share holding a My Number health insurance card, by age band"),
            desc=_("Bar chart of percentages, 0 to 100%%: overall %(share)s.")
            % {"share": _share(share)},
            labels=labels,
            values=[r.share or 0 for r in rows],
            texts=[_share(r.share) for r in rows],
            maximum=1,
        )
    )
    return table


def _raw_share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def by_month(as_of: date) -> Table:
    rows = cached("insured", as_of, queries.insured_and_holders)[1]
    table = Table(
        slug="holders-by-month",
        title=_("Share holding a My Number health insurance card, by month"),
        description=_(
            "Insured persons and card holders at the end of each month (the current month: on "
            "%(day)s). Past months are read from today's records: the registration date, the "
            "card status and when it changed, and cancellations."
        )
        % {"day": as_of.isoformat()},
        columns=[_("Month"), _("Insured persons"), _("Card holders"), _("Share")],
    )
    for r in rows:
        table.rows.append([_month(r.month), _n(r.insured), _n(r.holders), _share(r.share)])
        table.raw.append([r.month.isoformat(), r.insured, r.holders, _raw_share(r.share)])
    table.charts.append(
        charts.line(
            id="chart-months",
            title=_("Share holding a My Number health insurance card, by month"),
            desc=_("Line chart, 0 to 100%%: from %(first)s in %(start)s to %(last)s in %(end)s.")
            % {
                "first": _share(rows[0].share),
                "start": _month(rows[0].month),
                "last": _share(rows[-1].share),
                "end": _month(rows[-1].month),
            },
            labels=[_month(r.month) for r in rows],
            shares=[r.share for r in rows],
        )
    )
    return table


def _issued(
    as_of: date, model: type[Certificate] | type[Notice], slug: str, title: str, kind: str
) -> Table:
    rows = cached(slug, as_of, lambda day: queries.issued_by_month(model, day))
    reasons = [r for r in DocumentReason.values if any(row.counts.get(r) for row in rows)]
    labels = {value: str(label) for value, label in DocumentReason.choices}
    table = Table(
        slug=slug,
        title=title,
        description=_("%(kind)s issued in each of the last 12 months, by reason.") % {"kind": kind},
        columns=[_("Month"), *(labels[r] for r in reasons), _("Total")],
    )
    for row in rows:
        counts = [row.counts.get(r, 0) for r in reasons]
        table.rows.append([_month(row.month), *map(_n, counts), _n(row.total)])
        table.raw.append([_month(row.month), *counts, row.total])
    total = sum(row.total for row in rows)
    if not total:
        table.note = _("None were issued in these months.")
    table.charts.append(
        charts.stacked_columns(
            id=f"chart-{slug}",
            title=title,
            desc=_("Stacked column chart: %(total)s in 12 months, by reason.")
            % {"total": _n(total)},
            labels=[_month(row.month) for row in rows],
            series=[(labels[r], [row.counts.get(r, 0) for row in rows]) for r in reasons],
        )
    )
    return table


def certificates(as_of: date) -> Table:
    return _issued(
        as_of,
        Certificate,
        "certificates-by-month",
        _("Eligibility certificates issued per month"),
        _("Eligibility certificates"),
    )


def notices(as_of: date) -> Table:
    return _issued(
        as_of,
        Notice,
        "notices-by-month",
        _("Qualification notices issued per month"),
        _("Qualification notices"),
    )


def applications(as_of: date) -> Table:
    rows = cached("applications", as_of, lambda _day: queries.open_applications())
    labels = dict(CertificateApplication.Reason.choices)
    table = Table(
        slug="open-applications",
        title=_("Open applications for an eligibility certificate"),
        description=_("Applications waiting for a decision now, by reason and channel."),
        columns=[_("Reason"), _("Online"), _("At the counter"), _("Total"), _("Oldest")],
    )
    for r in rows:
        oldest = timezone.localtime(r.oldest).strftime("%Y-%m-%d") if r.oldest else ""
        label = str(labels.get(r.reason, r.reason))
        table.rows.append([label, _n(r.online), _n(r.counter), _n(r.total), oldest])
        table.raw.append([label, r.online, r.counter, r.total, oldest])
    total = sum(r.total for r in rows)
    if not rows:
        table.note = _("No application is waiting.")
    table.charts.append(
        charts.horizontal_bars(
            id="chart-applications",
            title=_("Open applications by reason"),
            desc=_("Bar chart: %(total)s open applications.") % {"total": _n(total)},
            labels=[str(labels.get(r.reason, r.reason)) for r in rows],
            values=[r.total for r in rows],
        )
    )
    return table


DUE_LABELS: dict[str, Callable[[], tuple[str, str]]] = {
    "turns_70_notice": lambda: (
        _("Turning 70, holding a My Number health insurance card"),
        _("qualification notice"),
    ),
    "turns_70_certificate": lambda: (
        _("Turning 70, without a My Number health insurance card"),
        _("eligibility certificate"),
    ),
    "certificate_expiry": lambda: (
        _("Eligibility certificates expiring (renewal)"),
        _("eligibility certificate"),
    ),
    "myna_cert_expired": lambda: (
        _("Electronic certificates of card holders expiring, no certificate in force"),
        _("eligibility certificate (before the grace period ends)"),
    ),
    "turns_75": lambda: (
        _("Reaching 75: leaving NHI for late-stage elderly care"),
        _("none"),
    ),
}


DUE_SHORT_LABELS: dict[str, Callable[[], str]] = {
    "turns_70_notice": lambda: _("Turning 70, card holders"),
    "turns_70_certificate": lambda: _("Turning 70, others"),
    "certificate_expiry": lambda: _("Certificate renewals"),
    "myna_cert_expired": lambda: _("Electronic certificates expiring"),
    "turns_75": lambda: _("Reaching 75"),
}


def documents_due(as_of: date) -> Table:
    first, last, rows = cached("due", as_of, queries.documents_due_next_month)
    table = Table(
        slug="documents-due",
        title=_("Documents due next month"),
        description=_("From %(first)s to %(last)s.")
        % {"first": first.isoformat(), "last": last.isoformat()},
        columns=[_("Who"), _("Document"), _("Persons")],
        note=_(
            "Counted with SQL from dates alone: birth dates (turning 70 or 75), certificate "
            "expiry dates and electronic-certificate expiry dates. Documents due because of "
            "events (new enrolments, address or householder changes, lost cards, cancelled "
            "registrations) are not counted here: the monthly issuance run finds them by "
            "assessing each person."
        ),
    )
    for r in rows:
        who, document = DUE_LABELS[r.code]()
        table.rows.append([who, document, _n(r.count)])
        table.raw.append([who, document, r.count])
    table.charts.append(
        charts.horizontal_bars(
            id="chart-due",
            title=_("Documents due next month"),
            desc=_("Bar chart: persons in each category for %(first)s to %(last)s.")
            % {"first": first.isoformat(), "last": last.isoformat()},
            labels=[DUE_SHORT_LABELS[r.code]() for r in rows],
            values=[r.count for r in rows],
        )
    )
    return table


TABLES: dict[str, Callable[[date], Table]] = {
    "age-bands": age_bands,
    "holders-by-month": by_month,
    "certificates-by-month": certificates,
    "notices-by-month": notices,
    "open-applications": applications,
    "documents-due": documents_due,
}


def all_tables(as_of: date) -> list[Table]:
    return counted_tables(as_of)[0]


def counted_tables(as_of: date) -> tuple[list[Table], datetime]:
    """Every table, and when the oldest of their figures were counted."""
    page: dict[str, Any] = {}
    token = _page.set(page)
    try:
        tables = [build(as_of) for build in TABLES.values()]
    finally:
        _page.reset(token)
    return tables, page.get(_COUNTED) or timezone.now()
