"""The back office: every page renders, search works, and staff access leaves a trail."""

import re
from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cards.models import Certificate, CertificateApplication, DocumentCounter
from eligibility.models import Household, InsuredPerson, LifeEvent
from notices.models import ImportRun, IssuanceChunk, IssuanceItem, IssuanceRun, IssuedFile
from sumida_kokuho.audit import record
from sumida_kokuho.models import ActivationCode, ApiToken, AuditEvent, ResidentAccount
from tests.factories import (
    BurdenDeterminationFactory,
    CertificateFactory,
    EnrolmentFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    InsuredPersonFactory,
    LifeEventFactory,
    MyNumberCardFactory,
    NoticeFactory,
    PaperCardFactory,
    PremiumArrearsFactory,
)
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

OUR_MODELS = sorted(
    model._meta.label_lower
    for model in admin.site._registry
    if model._meta.app_label in ("eligibility", "cards", "notices", "sumida_kokuho")
)


@pytest.fixture
def person():
    """A person with one row of everything the person page shows."""
    person = InsuredPersonFactory(
        household=HouseholdFactory(symbol="13", number="345678"),
        branch="01",
        family_name="墨田",
        given_name="花子",
        family_name_kana="スミダ",
        given_name_kana="ハナコ",
    )
    EnrolmentFactory(person=person)
    LifeEventFactory(person=person)
    MyNumberCardFactory(person=person)
    PaperCardFactory(person=person)
    CertificateFactory(person=person, number="C2025-0001")
    NoticeFactory(person=person)
    IncomeRecordFactory(person=person)
    BurdenDeterminationFactory(household=person.household)
    PremiumArrearsFactory(household=person.household)
    # Rows only the services write (their admin pages are read-only).
    CertificateApplication.objects.create(person=person, reason="needs_support", channel="counter")
    ActivationCode.objects.create(person=person, code_hash="0" * 64)
    DocumentCounter.objects.create(kind="certificate", fiscal_year=2026, last_value=1)
    ImportRun.objects.create(kind="master", file_name="master.csv", sha256="0" * 64)
    run = IssuanceRun.objects.create(period=date(2026, 11, 1), as_of=date(2026, 11, 25))
    chunk = IssuanceChunk.objects.create(run=run, document="certificate", seq=1, volume=1)
    IssuanceItem.objects.create(
        run=run,
        chunk=chunk,
        person=person,
        household_id_frozen=person.household_id,
        document="certificate",
        reason="new_enrolment",
        trigger_on=date(2026, 11, 10),
        snapshot={"person": {"address": "押上9-9-9 スナップ荘"}},
    )
    IssuedFile.objects.create(
        run=run, chunk=chunk, kind="print", name="certificate-001.pdf", sha256="0" * 64, size=1
    )
    ResidentAccount.objects.create(
        user=UserFactory(username="resident@example.com"), person=person, linked_via="activation"
    )
    return person


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response):
    """The POST body the change page would send back unchanged, inlines included."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms.extend(inline.formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else str(value)
    return data


def changelist_ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


# --- every page renders --------------------------------------------------------------------------


def test_every_model_of_the_domain_is_in_the_admin():
    assert OUR_MODELS == sorted(
        [
            "eligibility.household",
            "eligibility.insuredperson",
            "eligibility.enrolment",
            "eligibility.lifeevent",
            "eligibility.incomerecord",
            "eligibility.burdendetermination",
            "eligibility.premiumarrears",
            "cards.mynumbercard",
            "cards.papercard",
            "cards.certificate",
            "notices.notice",
            "sumida_kokuho.auditevent",
            "sumida_kokuho.apitoken",
            "cards.certificateapplication",
            "cards.documentcounter",
            "sumida_kokuho.activationcode",
            "sumida_kokuho.residentaccount",
            "notices.importrun",
            "notices.issuancerun",
            "notices.issuancechunk",
            "notices.issuanceitem",
            "notices.issuedfile",
        ]
    )


@pytest.mark.parametrize("label", OUR_MODELS)
def test_changelist_and_change_page_render_for_a_superuser(admin_client, admin_user, person, label):
    model = apps.get_model(label)
    ApiToken.create_token("連携テスト", by=admin_user)
    record(actor=admin_user, action="view", obj=person)
    obj = model._default_manager.first()

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


# Written only by their services (and the audit trail only by audit.record): no add page.
READ_ONLY_MODELS = {
    "sumida_kokuho.auditevent",
    "cards.certificateapplication",
    "cards.documentcounter",
    "sumida_kokuho.activationcode",
    "sumida_kokuho.residentaccount",
    "notices.importrun",  # written by the import command and the upload pages
    # Written by notices.batch (the /batch/ pages and commands): edits would bypass its fences.
    "notices.issuancerun",
    "notices.issuancechunk",
    "notices.issuanceitem",
    "notices.issuedfile",
}


@pytest.mark.parametrize("label", [label for label in OUR_MODELS if label not in READ_ONLY_MODELS])
def test_add_page_renders_for_a_superuser(admin_client, label):
    assert admin_client.get(admin_url(apps.get_model(label), "add")).status_code == 200


@pytest.mark.parametrize("label", sorted(READ_ONLY_MODELS))
def test_rows_written_only_by_services_cannot_be_added_in_the_admin(admin_client, label):
    assert admin_client.get(admin_url(apps.get_model(label), "add")).status_code == 403


def test_changelists_of_people_take_the_same_queries_for_more_rows(admin_client):
    def queries_for_list(model):
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(admin_url(model, "changelist")).status_code == 200
        return len(captured)

    def add_people(n):
        for _ in range(n):
            person = InsuredPersonFactory()
            MyNumberCardFactory(person=person)
            CertificateFactory(person=person)
            LifeEventFactory(person=person)

    add_people(2)
    few = {m: queries_for_list(m) for m in (InsuredPerson, Household, Certificate, LifeEvent)}
    add_people(5)
    many = {m: queries_for_list(m) for m in (InsuredPerson, Household, Certificate, LifeEvent)}

    assert many == few


# --- the audit trail -----------------------------------------------------------------------------


def test_viewing_a_person_writes_a_view_event_naming_the_person_and_household(
    admin_client, admin_user, person
):
    response = admin_client.get(admin_url(InsuredPerson, "change", person.pk))

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="view", object_type="eligibility.insuredperson")
    assert event.actor == admin_user
    assert (event.object_id, event.person_id) == (str(person.pk), person.pk)
    assert event.household_id == person.household_id


def test_viewing_a_household_writes_a_view_event(admin_client, person):
    admin_client.get(admin_url(Household, "change", person.household_id))

    event = AuditEvent.objects.get(action="view", object_type="eligibility.household")
    assert (event.household_id, event.person_id) == (person.household_id, None)


def test_viewing_a_certificate_writes_a_view_event_naming_its_person(admin_client, person):
    certificate = person.certificates.get()
    admin_client.get(admin_url(Certificate, "change", certificate.pk))

    event = AuditEvent.objects.get(action="view", object_type="cards.certificate")
    assert (event.person_id, event.household_id) == (person.pk, person.household_id)


def test_the_person_list_writes_one_event_with_the_ids_shown(admin_client, admin_user, person):
    other = InsuredPersonFactory()

    admin_client.get(admin_url(InsuredPerson, "changelist"))

    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.object_type) == (
        admin_user,
        "view",
        "eligibility.insuredperson",
    )
    assert sorted(event.detail["ids"]) == sorted([str(person.pk), str(other.pk)])


def test_a_search_for_a_12_digit_number_is_not_kept_in_the_trail(admin_client):
    admin_client.get(admin_url(InsuredPerson, "changelist"), {"q": "123456789012"})

    event = AuditEvent.objects.get()
    assert "123456789012" not in str(event.detail)
    assert "redacted" in event.detail["query"]


def test_saving_a_person_writes_a_change_event_with_the_changed_fields(admin_client, person):
    page = admin_client.get(admin_url(InsuredPerson, "change", person.pk))
    data = form_data(page) | {"given_name": "花江", "given_name_kana": "ハナエ"}

    response = admin_client.post(admin_url(InsuredPerson, "change", person.pk), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    person.refresh_from_db()
    assert person.given_name == "花江"
    change = AuditEvent.objects.get(action="change", object_type="eligibility.insuredperson")
    assert sorted(change.detail["fields"]) == ["given_name", "given_name_kana"]
    assert change.person_id == person.pk
    assert "花江" not in str(change.detail)  # names of fields, never their values


def test_a_life_event_added_on_the_person_page_is_stamped_and_audited(
    admin_client, admin_user, person
):
    page = admin_client.get(admin_url(InsuredPerson, "change", person.pk))
    data = form_data(page) | {
        "events-TOTAL_FORMS": "2",
        "events-1-occurred_on": "2026-10-01",
        "events-1-kind": "householder_change",
        "events-1-details": "{}",
    }

    response = admin_client.post(admin_url(InsuredPerson, "change", person.pk), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    added = person.events.get(kind="householder_change")
    assert added.recorded_by == admin_user
    created = AuditEvent.objects.get(action="create", object_type="eligibility.lifeevent")
    assert (created.object_id, created.person_id) == (str(added.pk), person.pk)


def test_a_refused_save_changes_nothing_and_writes_no_change_event(admin_client, person):
    page = admin_client.get(admin_url(InsuredPerson, "change", person.pk))
    data = form_data(page) | {"given_name_kana": "はなこ"}  # hiragana: not a valid reading

    response = admin_client.post(admin_url(InsuredPerson, "change", person.pk), data)

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.given_name_kana == "ハナコ"
    assert not AuditEvent.objects.filter(action="change").exists()


def test_deleting_a_person_writes_a_delete_event_first(admin_client, admin_user):
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person)
    person_id, household_id = person.pk, person.household_id

    response = admin_client.post(admin_url(InsuredPerson, "delete", person.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not InsuredPerson.objects.filter(pk=person_id).exists()
    event = AuditEvent.objects.get(action="delete")
    assert (event.actor, event.person_id, event.household_id) == (
        admin_user,
        person_id,
        household_id,
    )


def test_adding_a_certificate_stamps_the_issuer_and_writes_a_create_event(admin_client, admin_user):
    person = InsuredPersonFactory()
    data = {
        "person": str(person.pk),
        "number": "C2026-0042",
        "issued_on": "2026-11-26",
        "valid_until": "2028-09-30",
        "reason": "new_enrolment",
        "rule_ids": "[]",
    }

    response = admin_client.post(admin_url(Certificate, "add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    certificate = Certificate.objects.get(number="C2026-0042")
    assert certificate.issued_by == admin_user
    event = AuditEvent.objects.get(action="create")
    assert (event.object_type, event.person_id) == ("cards.certificate", person.pk)


def test_a_second_active_certificate_is_refused_with_a_form_error_not_a_crash(admin_client):
    existing = CertificateFactory()
    data = {
        "person": str(existing.person_id),
        "number": "C2026-0043",
        "issued_on": "2026-11-26",
        "valid_until": "2028-09-30",
        "reason": "new_enrolment",
        "rule_ids": "[]",
    }

    response = admin_client.post(admin_url(Certificate, "add"), data)

    assert response.status_code == 200
    assert response.context["errors"]
    assert Certificate.objects.count() == 1


def test_the_audit_trail_is_read_only_in_the_admin(admin_client, admin_user):
    event = record(actor=admin_user, action="view", obj=HouseholdFactory())

    assert admin_client.get(admin_url(AuditEvent, "changelist")).status_code == 200
    assert admin_client.get(admin_url(AuditEvent, "add")).status_code == 403
    assert (
        admin_client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code
        == 403
    )
    admin_client.post(admin_url(AuditEvent, "change", event.pk), {"action": "delete"})
    event.refresh_from_db()
    assert event.action == "view"


BATCH_MODELS = (IssuanceRun, IssuanceChunk, IssuanceItem, IssuedFile)


@pytest.mark.parametrize("model", BATCH_MODELS, ids=lambda m: m._meta.model_name)
def test_issuance_rows_cannot_be_changed_or_deleted_in_the_admin(admin_client, person, model):
    obj = model._default_manager.get()
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.fields}
    page = admin_client.get(admin_url(model, "change", obj.pk))

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    admin_client.post(admin_url(model, "change", obj.pk), {"status": "done", "name": "x.pdf"})
    deleted = admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})

    assert deleted.status_code == 403
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in model._meta.fields} == before


def test_viewing_an_issuance_item_is_audited_against_its_person(admin_client, person):
    item = IssuanceItem.objects.get()

    page = admin_client.get(admin_url(IssuanceItem, "change", item.pk))

    assert page.status_code == 200
    assert "スナップ荘" not in page.content.decode()  # the snapshot is not shown
    event = AuditEvent.objects.get(action="view", object_type="notices.issuanceitem")
    assert event.object_id == str(item.pk)


def test_the_run_list_links_to_the_run_page(admin_client, person):
    run = IssuanceRun.objects.get()
    page = admin_client.get(admin_url(IssuanceRun, "changelist"))
    assert reverse("batch:run", args=[run.pk]) in page.content.decode()


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        "スミダ",
        "すみだ ハナコ",
        "ｽﾐﾀﾞ",
        "墨田 花子",
        "13-345678",
        "13-345678-01",
        "１３－３４５６７８",
    ],
)
def test_people_are_found_by_name_reading_or_insured_number(admin_client, person, term):
    InsuredPersonFactory(family_name="押上", family_name_kana="オシアゲ", given_name_kana="タロウ")

    response = admin_client.get(admin_url(InsuredPerson, "changelist"), {"q": term})

    assert changelist_ids(response) == {person.pk}


def test_a_wrong_branch_finds_nobody(admin_client, person):
    response = admin_client.get(admin_url(InsuredPerson, "changelist"), {"q": "13-345678-02"})
    assert changelist_ids(response) == set()


def test_households_are_found_by_a_members_reading(admin_client, person):
    HouseholdFactory()
    response = admin_client.get(admin_url(Household, "changelist"), {"q": "スミダ"})
    assert changelist_ids(response) == {person.household_id}


def test_certificates_are_found_by_number_or_holder(admin_client, person):
    other = CertificateFactory(number="C2026-9999")

    by_number = admin_client.get(admin_url(Certificate, "changelist"), {"q": "C2026-9999"})
    by_holder = admin_client.get(admin_url(Certificate, "changelist"), {"q": "すみだ"})

    assert changelist_ids(by_number) == {other.pk}
    assert changelist_ids(by_holder) == {person.certificates.get().pk}


def test_life_events_are_found_by_the_persons_insured_number(admin_client, person):
    LifeEventFactory()
    response = admin_client.get(admin_url(LifeEvent, "changelist"), {"q": "13-345678"})
    assert changelist_ids(response) == {person.events.get().pk}


# --- API tokens ----------------------------------------------------------------------------------


def test_creating_an_api_token_shows_the_plain_token_once(admin_client, admin_user):
    response = admin_client.post(admin_url(ApiToken, "add"), {"name": "住基連携"})

    assert response.status_code == 302
    token = ApiToken.objects.get()
    assert token.created_by == admin_user
    [message] = [m for m in get_messages(response.wsgi_request) if m.level == messages.WARNING]
    plain = re.search(re.escape(token.prefix) + r"[\w-]+", str(message)).group()
    assert ApiToken.authenticate(plain) == token

    assert plain in admin_client.get(response.url).content.decode()
    assert plain not in admin_client.get(response.url).content.decode()
    assert plain not in admin_client.get(admin_url(ApiToken, "change", token.pk)).content.decode()
