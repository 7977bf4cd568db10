"""What every counter view shares: the permissions it checks, the staff bar, messages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from cards.models import DocumentReason
from eligibility.counter.summary import DOCUMENT_LABELS
from eligibility.rules.assessment import DocumentDue
from sumida_kokuho.access import current_counter
from sumida_kokuho.roles import counter_label

# The permissions behind each kind of page (sumida_kokuho.roles gives them to the roles).
VIEW_PERSON = "eligibility.view_insuredperson"
VIEW_HOUSEHOLD = "eligibility.view_household"
# Enrolment and withdrawal are 異動 recorded at the counter like the other life events.
RECORD_EVENTS = "eligibility.add_lifeevent"
VIEW_CERTIFICATE = "cards.view_certificate"
ISSUE_CERTIFICATE = "cards.add_certificate"
VOID_CERTIFICATE = "cards.change_certificate"
VIEW_NOTICE = "notices.view_notice"
HAND_OUT_NOTICE = "notices.add_notice"
VIEW_APPLICATIONS = "cards.view_certificateapplication"
SUBMIT_APPLICATION = "cards.add_certificateapplication"
DECIDE_APPLICATION = "cards.change_certificateapplication"
ISSUE_ACTIVATION_CODE = "sumida_kokuho.add_activationcode"


def chrome(request: HttpRequest) -> dict[str, Any]:
    """What the staff bar (templates/staff/_bar.html) shows: the counter of this session."""
    return {"counter_label": counter_label(current_counter(request))}


def language() -> str:
    return translation.get_language() or "ja"


def due_message(due: DocumentDue | None) -> str:
    """ "Saved." and what is due now, for the message after a write (no personal data: messages
    may travel in a cookie)."""
    if due is None:
        return _("Saved. No document is due now.")
    values = {
        "document": DOCUMENT_LABELS[due.document.value],
        "reason": DocumentReason(due.reason).label,
    }
    if due.on_application:  # only certificates are issued on application (R-CERT-APPLY)
        return (
            _(
                "Saved. An eligibility certificate can be issued on application (%(reason)s): "
                "record the application below."
            )
            % values
        )
    return _("Saved. Now due: %(document)s (%(reason)s). Issue it below.") % values
