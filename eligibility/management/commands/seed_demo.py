"""`manage.py seed_demo`: showcase households, a generated Sumida population, a demo sign-in.

Safe to run again: showcase households are looked up by their insured numbers and only replaced
when they differ from what the as-of date calls for; the population is topped up only while the
database holds fewer persons than `--persons`. `--reset` first deletes every demo household (the
記号 reserved in eligibility.demo) and nothing else. See docs/showcase.md for the presenter's table.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from eligibility.assess_api import assessment_json
from eligibility.demo import DEMO_SYMBOLS, EXAMPLE_SYMBOL, POPULATION_SYMBOL, SHOWCASE_SYMBOL
from eligibility.demo.residents import app_identity, issue_demo_letter
from eligibility.demo.seeding import (
    CHUNK_HOUSEHOLDS,
    PopulationReport,
    ShowcaseReport,
    default_workers,
    persons_to_add,
    reset_demo_data,
    seed_population,
    seed_showcase,
)
from eligibility.demo.showcase import EARLIEST_AS_OF, differences
from eligibility.demo.store import ProtectedRows
from eligibility.facts_builder import build_person_facts, persons_for_assessment
from eligibility.models import Household, InsuredPerson
from eligibility.rules.engine import assess
from sumida_kokuho import audit
from sumida_kokuho.models import ApiToken
from sumida_kokuho.wareki import to_wareki

ADMIN_USERNAME = "admin"
DEFAULT_ADMIN_PASSWORD = "sumida-demo-2026"  # noqa: S105 (only ever used with DEBUG on)
TOKEN_NAME = "seed_demo"  # noqa: S105 (the token's label, not a secret)
DEFAULT_PERSONS = 300
DEFAULT_SEED = 2026

_DOCUMENTS = {"certificate": "資格確認書", "notice": "資格情報のお知らせ"}


class Command(BaseCommand):
    help = (
        "Load the demo data: showcase households with fixed insured numbers, a generated Sumida "
        "population, an 'admin' superuser and an API token. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the demo's 'today': showcase birth dates and events follow it "
            "(default: today in Asia/Tokyo)",
        )
        parser.add_argument(
            "--persons",
            type=int,
            default=DEFAULT_PERSONS,
            help="generate persons until the database holds this many insured persons "
            f"(default {DEFAULT_PERSONS}; showcase persons count)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"random seed of the generated population (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=f"first delete every demo household (記号 {', '.join(DEMO_SYMBOLS)}) with its "
            "persons and documents; other data is left alone",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=CHUNK_HOUSEHOLDS,
            help=f"households per transaction (default {CHUNK_HOUSEHOLDS})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes generating households alongside the one writing them (default: "
            "none below 20,000 persons, else one per CPU up to 3); the data is the same",
        )
        parser.add_argument(
            "--admin-password",
            default=None,
            help="password of the 'admin' superuser (or DEMO_ADMIN_PASSWORD); "
            "required when DEBUG is off",
        )
        parser.add_argument(
            "--no-admin", action="store_true", help="create no 'admin' user and no API token"
        )
        parser.add_argument(
            "--no-resident-letter",
            action="store_true",
            help="issue no activation letter for the portal's demo resident (9101-0020-06)",
        )
        parser.add_argument(
            "--new-token",
            action="store_true",
            help="deactivate the demo API token and print a new one",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        as_of: date = options["as_of"] or timezone.localdate()
        if as_of < EARLIEST_AS_OF:
            raise CommandError(
                f"--as-of {as_of} is too early: the demo starts after the last paper card "
                f"expired, on {EARLIEST_AS_OF} or later."
            )
        if options["persons"] < 0 or options["chunk_size"] < 1 or (options["workers"] or 0) < 0:
            raise CommandError("--persons and --workers must be 0 or more, --chunk-size 1 or more.")
        # Decided before anything is written, so a refusal leaves the database as it was.
        password, password_shown = self._admin_password(options)

        self._say(
            f"墨田区国保 デモデータ（seed_demo） 基準日 {as_of}（{to_wareki(as_of)}）"
            f" seed {options['seed']}"
        )
        if options["reset"]:
            self._reset()
        showcase = seed_showcase(as_of)
        wanted = persons_to_add(options["persons"])
        population = PopulationReport()
        if wanted:
            workers = options["workers"]
            population = seed_population(
                as_of=as_of,
                seed=options["seed"],
                persons=wanted,
                chunk_households=options["chunk_size"],
                workers=default_workers(wanted) if workers is None else workers,
                progress=self._progress,
            )
        audit.record(
            actor=None,
            action="seed_demo",
            object_type="eligibility.household",
            detail={
                "as_of": as_of.isoformat(),
                "seed": options["seed"],
                "reset": options["reset"],
                "showcase": {
                    "created": showcase.created,
                    "refreshed": showcase.refreshed,
                    "unchanged": showcase.unchanged,
                },
                "population": {"households": population.households, "persons": population.persons},
            },
        )
        self._summary(as_of, showcase, population, options["persons"])
        if not options["no_admin"]:
            self._sign_in(password, password_shown, options["new_token"])
        self._residents(letter=not options["no_resident_letter"])

    # --- steps ------------------------------------------------------------------------------------

    def _admin_password(self, options: dict[str, Any]) -> tuple[str | None, bool]:
        """The password to set (None: leave the account alone) and whether to print it."""
        if options["no_admin"]:
            return None, False
        given = options["admin_password"] or os.environ.get("DEMO_ADMIN_PASSWORD") or None
        user_model = get_user_model()
        if given is None:
            if user_model._default_manager.filter(username=ADMIN_USERNAME).exists():
                return None, False
            if not settings.DEBUG:
                raise CommandError(
                    "Refusing to create the demo superuser 'admin' with the default password "
                    "while DEBUG is off. Give --admin-password (or DEMO_ADMIN_PASSWORD), or "
                    "--no-admin. / DEBUG が無効のため、既定のパスワードで管理者を作成しません。"
                )
            given = DEFAULT_ADMIN_PASSWORD
            shown = True
        else:
            shown = False
        try:
            validate_password(given, user_model(username=ADMIN_USERNAME))
        except ValidationError as error:
            raise CommandError(
                "The admin password is refused: " + " ".join(error.messages)
            ) from error
        return given, shown

    def _reset(self) -> None:
        try:
            counts = reset_demo_data()
        except ProtectedRows as error:
            raise CommandError(f"--reset stopped, nothing was deleted: {error}") from error
        households = counts.get("eligibility.Household", 0)
        persons = counts.get("eligibility.InsuredPerson", 0)
        self._say(
            f"--reset: デモ世帯（記号 {'/'.join(DEMO_SYMBOLS)}）{households:,}世帯・"
            f"{persons:,}人と関連する書類・記録を削除しました。その他のデータはそのままです。"
        )

    def _progress(self, report: PopulationReport, total: int) -> None:
        if self.verbosity >= 1:
            self.stderr.write(
                f"  population: {report.persons:,}/{total:,} persons "
                f"({100 * report.persons / total:.0f}%), {report.households:,} households, "
                f"{report.persons_per_second:,.0f} persons/s"
            )

    def _sign_in(self, password: str | None, shown: bool, new_token: bool) -> None:
        user_model = get_user_model()
        with transaction.atomic():
            user = user_model._default_manager.filter(username=ADMIN_USERNAME).first()
            if user is None:
                assert password is not None
                user = user_model._default_manager.create_superuser(
                    ADMIN_USERNAME, "admin@example.invalid", password
                )
                action = "を作成しました"
            elif password is not None:
                user.set_password(password)
                user.save(update_fields=["password"])
                action = "のパスワードを設定しました"
            else:
                action = "は既にあります（パスワードは変更していません）"
            device = _ensure_totp_device(user)
            active = ApiToken.objects.filter(name=TOKEN_NAME, is_active=True)
            plain = None
            if new_token or not active.exists():
                active.update(is_active=False)
                token, plain = ApiToken.create_token(TOKEN_NAME, by=user)
            else:
                token = active.first()
        shown_password = password if shown else "（指定したパスワード）" if password else "（既存）"
        self._say("")
        self._say(f"サインイン: ユーザー {ADMIN_USERNAME} {action}")
        self._say("  職員サインイン → http://127.0.0.1:8000/staff/login/ （/admin/ も同じ）")
        self._say(f"  ユーザー名 {ADMIN_USERNAME}  パスワード {shown_password}")
        self._say(
            "  確認コード（6桁）: 認証アプリに次の URI を登録するか、デモでは"
            f" `python manage.py demo_code {ADMIN_USERNAME}` で表示できます。"
        )
        self._say(f"  {device.config_url}")
        if not user.is_superuser:
            # An account of that name made by someone else: not promoted behind their back.
            self._say(f"  注意: 既存の {ADMIN_USERNAME} は superuser ではありません。")
        if plain is not None:
            self._say(f"API トークン（この一度だけ表示します）: {plain}")
            self._say(
                f'  curl -H "Authorization: Bearer {plain}"'
                ' -H "Content-Type: application/json"'
                " -d @request.json http://127.0.0.1:8000/api/v1/assess"
            )
        else:
            assert token is not None
            self._say(f"API トークン: 既存（{token.prefix}…）。新しく発行するには --new-token")

    def _residents(self, *, letter: bool) -> None:
        """The portal's demo residents (eligibility.demo.residents, docs/showcase.md)."""
        identity = app_identity()
        if not identity:
            return
        self._say("")
        self._say("住民ポータル → http://127.0.0.1:8000/portal/")
        self._say(
            "  デジタル認証アプリ（デモでは模擬のアプリ）: 「デジタル認証アプリでログイン」を押すと"
            "次の基本4情報が入力済みです。そのまま「ログイン」で世帯主の画面（6人世帯）です。"
        )
        self._say(
            f"    {identity['name']}  {identity['address']}  {identity['birthdate']}"
            f"  {identity['gender']}  (sub {identity['sub']})"
        )
        issued = issue_demo_letter() if letter else None
        if issued is not None:
            self._say(
                "  利用開始通知書（コードはこの一度だけ表示します）: 「利用開始通知書でアカウントを"
                "作成」で次を入力し、メールアドレスとパスワードを決めます。"
            )
            self._say(
                f"    被保険者番号 {issued.insured_number}（{issued.name}）"
                f"  生年月日 {issued.birth_date}（{to_wareki(issued.birth_date)}）"
                f"  コード {issued.code}"
            )
        elif letter:
            self._say(
                "  利用開始通知書: 9101-0020-06 は既にアカウントがあります"
                "（メールアドレスとパスワードでログイン）。"
            )

    # --- summary ----------------------------------------------------------------------------------

    def _summary(
        self, as_of: date, showcase: ShowcaseReport, population: PopulationReport, target: int
    ) -> None:
        persons = sum(len(c.household.members) for c in showcase.cases)
        self._say(
            f"ショーケース: {len(showcase.cases)}世帯 {persons}人（記号 {SHOWCASE_SYMBOL}・"
            f"{EXAMPLE_SYMBOL}） 新規 {showcase.created} / 更新 {showcase.refreshed} / "
            f"変更なし {showcase.unchanged}"
        )
        if population.persons:
            self._say(
                f"ランダム世帯: {population.households:,}世帯 {population.persons:,}人を追加"
                f"（記号 {POPULATION_SYMBOL}、{population.first_number} から、"
                f"{population.persons_per_second:,.0f}人/秒）"
            )
        else:
            self._say(f"ランダム世帯: 追加なし（{target:,}人以上が登録済み）")
        self._say(
            f"データベース: {Household.objects.count():,}世帯 {InsuredPerson.objects.count():,}人"
        )
        self._say("")
        self._say("ショーケース一覧（docs/showcase.md）:")
        for line in self._showcase_lines(showcase):
            self._say("  " + line)

    def _showcase_lines(self, report: ShowcaseReport) -> list[str]:
        keys = [(c.household.symbol, c.household.number) for c in report.cases]
        people = {
            (p.household.symbol, p.household.number, p.branch): p
            for p in persons_for_assessment().filter(household__symbol__in={s for s, _ in keys})
        }
        lines = []
        for case in report.cases:
            h = case.household
            lines.append(
                f"{h.insured_number}  {case.title}"
                + ("" if case.relative else f"（{case.check_on} 時点）")
            )
            for member in h.members:
                person = people[(h.symbol, h.number, member.branch)]
                result = assessment_json(
                    assess(build_person_facts(person, case.check_on), case.check_on)
                )
                mark = ""
                if member.branch in case.expects:
                    diffs = differences(case.expects[member.branch], result)
                    if diffs:
                        mark = "  ≠想定と異なる"
                lines.append(
                    f"    -{member.branch} {person.full_name}（{person.full_name_kana}）"
                    f" {_outcome(result)}{mark}"
                )
        return lines

    def _say(self, text: str) -> None:
        self.stdout.write(text)


def _outcome(result: dict[str, Any]) -> str:
    if not result["insured"]:
        return "資格なし"
    proofs = [
        name
        for name, key in (
            ("マイナ保険証", "myna"),
            ("資格確認書", "certificate"),
            ("紙の保険証", "paper_card"),
        )
        if result["proofs"][key]["usable"]
    ]
    text = f"{result['burden_ratio'] // 10}割・" + ("／".join(proofs) or "使える資格確認手段なし")
    for due in result["documents_due"]:
        by = f"、{due['by']}まで" if due["by"] else ""
        apply = "、申請により" if due["on_application"] else ""
        text += f" → {_DOCUMENTS[due['document']]}（{due['reason']}{by}{apply}）"
    if result["notes"]:
        text += " ［" + "、".join(n["code"] for n in result["notes"]) + "］"
    return text


def _ensure_totp_device(user: Any) -> Any:
    """The demo account's confirmed TOTP device (staff sign-in needs the second factor)."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sumida_kokuho.roles import Role, sync_roles

    sync_roles()
    user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
    return device
