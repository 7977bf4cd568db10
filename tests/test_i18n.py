"""Japanese first, English complete: the layout, the language switch and the catalogues."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def test_home_page_is_japanese_by_default(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "本文へ移動" in html  # skip link
    assert "マイナ保険証" in html
    assert "資格確認書" in html
    assert "KOKUHONENKIN@city.sumida.lg.jp" in html
    assert "03-5608-6121～6122" in html


def test_switching_to_english_keeps_the_page(client: Client) -> None:
    page = "/?from=test"
    form = client.get(page).content.decode()
    assert f'name="next" value="{page.replace("&", "&amp;")}"' in form

    response = client.post("/i18n/setlang/", {"language": "en", "next": page})
    assert response.status_code == 302
    assert response["Location"] == page

    html = client.get(page).content.decode()
    assert '<html lang="en">' in html
    assert "Skip to main content" in html
    assert "Three ways to show you are insured" in html
    assert "03-5608-6121 to 6122" in html

    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert '<html lang="ja">' in client.get("/").content.decode()


def test_the_browser_language_is_honoured_before_any_choice(client: Client) -> None:
    html = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in html


def test_the_current_language_is_marked_in_the_switcher(client: Client) -> None:
    html = client.get("/").content.decode()
    buttons = dict(re.findall(r'<button[^>]*value="(\w+)"([^>]*)>', html))
    assert set(buttons) == {"ja", "en"}
    assert 'aria-current="true"' in buttons["ja"]
    assert "aria-current" not in buttons["en"]


# --- The catalogues ---------------------------------------------------------------------------


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[PoEntry]:
    """A small .po reader: enough for makemessages output (no obsolete #~ entries kept)."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = PoEntry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            if target is not None and entry.msgstrs:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue  # comments, references, obsolete entries
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation without a keyword"
            text = ast.literal_eval(line)
            kind, index = target
            if kind == "msgstr":
                entry.msgstrs[index] += text
            else:
                setattr(entry, kind, (getattr(entry, kind) or "") + text)
        else:
            keyword, _, rest = line.partition(" ")
            text = ast.literal_eval(rest)
            if keyword in ("msgctxt", "msgid") and entry.msgstrs:
                finish()
            if keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                entry.msgstrs[index] = text
                target = ("msgstr", index)
            else:
                assert keyword in ("msgctxt", "msgid", "msgid_plural"), f"{path}:{number}"
                setattr(entry, keyword, text)
                entry.line = entry.line or number
                target = (keyword, 0)
    finish()
    return entries


JA_PO = LOCALE / "ja" / "LC_MESSAGES" / "django.po"


def test_the_po_reader_reads_the_japanese_catalogue() -> None:
    entries = parse_po(JA_PO)
    header = entries[0]
    assert header.msgid == ""
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstrs[0]
    assert len(entries) > 20


def test_every_japanese_entry_is_translated_and_not_fuzzy() -> None:
    problems = []
    for entry in parse_po(JA_PO):
        where = f"line {entry.line}: {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where} is fuzzy")
        if not entry.msgstrs or not all(text.strip() for text in entry.msgstrs.values()):
            problems.append(f"{where} has no translation")
    assert not problems, "locale/ja/LC_MESSAGES/django.po:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_compiled_catalogues_match_their_sources(language: str) -> None:
    # compilemessages must have been run after the last edit of the .po (scripts/i18n.sh).
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    with (po.with_suffix(".mo")).open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in parse_po(po)[1:]:
        if not entry.msgstrs.get(0):
            continue  # untranslated (English): gettext falls back to the msgid
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            assert compiled._catalog.get(key) == entry.msgstrs[0], entry.msgid  # type: ignore[attr-defined]
        else:
            assert compiled._catalog.get((key, 0)) == entry.msgstrs[0], entry.msgid  # type: ignore[attr-defined]
