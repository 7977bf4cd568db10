"""PDF bytes of one issued document, through notices.documents (snapshot, then render).

The only place the counter touches the document API, so a change there is one edit here.
"""

from __future__ import annotations

import io

from cards.models import Certificate
from notices.documents import render
from notices.documents.builders import certificate_snapshot, notice_snapshot
from notices.models import Notice

PDF = "application/pdf"


def certificate_pdf(certificate: Certificate) -> bytes:
    """The 資格確認書 as issued (front and back). `certificate.person` should come from
    `records.person_for_page`, so the snapshot reads prefetched rows."""
    out = io.BytesIO()
    render(certificate_snapshot(certificate), out)
    return out.getvalue()


def notice_pdf(notice: Notice) -> bytes:
    """The 資格情報のお知らせ as issued (one A4 page)."""
    out = io.BytesIO()
    render(notice_snapshot(notice), out)
    return out.getvalue()
