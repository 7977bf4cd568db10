"""Documents as PDF: the 資格確認書 (card) and the 資格情報のお知らせ (A4 letter).

Pure rendering (no Django): build a snapshot, then `render` one document or `render_many` a
merged print file. Snapshots of stored records come from `notices.documents.builders`.
"""

from notices.documents.fonts import PLACEHOLDER, FontNotFoundError
from notices.documents.render import RenderResult, ReviewFlag, render, render_many
from notices.documents.snapshots import CertificateSnapshot, DocumentSnapshot, NoticeSnapshot

__all__ = [
    "PLACEHOLDER",
    "CertificateSnapshot",
    "DocumentSnapshot",
    "FontNotFoundError",
    "NoticeSnapshot",
    "RenderResult",
    "ReviewFlag",
    "render",
    "render_many",
]
