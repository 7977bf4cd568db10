"""Staff sign-in with a second factor, enrolment, roles, the staff gate and the access helpers."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import Client, RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from sumida_kokuho.access import (
    COUNTER_SESSION_KEY,
    get_household_for_staff,
    get_person_for_staff,
    staff_required,
)
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import BROWSE_AUDIT, COUNTER_CODES, Role, sync_roles
from sumida_kokuho.staff_views import ENROLMENT_SESSION_KEY
from tests.factories import InsuredPersonFactory, StaffUserFactory, UserFactory
from tests.factories.staff import TOTPDeviceFactory, sign_in_staff, staff_in_role, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


@pytest.fixture(autouse=True)
def english_and_fast_passwords(settings):
    # The production hasher takes most of a second per password on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"  # assertions read the English texts


@pytest.fixture
def clerk():
    return staff_in_role(Role.COUNTER, username="clerk")


@pytest.fixture
def device(clerk):
    return TOTPDeviceFactory(user=clerk)


def sign_in(client, *, username="clerk", password=PASSWORD, code="", counter="honcho-2", **extra):
    data = {"username": username, "password": password, "code": code, "counter": counter}
    return client.post("/staff/login/", {**data, **extra})


def refusals():
    return list(AuditEvent.objects.filter(action="sign_in_refused"))


def is_signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


# --- sign-in -------------------------------------------------------------------------------------


def test_sign_in_page_renders_with_the_counters(client):
    response = client.get("/staff/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html
    assert 'autocomplete="one-time-code"' in html
    for code in COUNTER_CODES:
        assert f'value="{code}"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_sign_in_without_a_code_is_refused(client, device):
    response = sign_in(client, code="")
    assert response.status_code == 200
    assert "The user name, password or code is not right" in response.content.decode()
    assert not is_signed_in(client)
    [refusal] = refusals()
    assert (refusal.actor.username, refusal.detail) == ("clerk", {"reason": "code_missing"})


def test_sign_in_with_a_wrong_code_is_refused(client, device):
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = sign_in(client, code=wrong)
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert refusals()[0].detail == {"reason": "code"}


def test_sign_in_with_the_right_code_is_accepted_and_remembers_the_counter(client, device):
    response = sign_in(client, code=totp_code(device), counter="honcho-3")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert client.session[COUNTER_SESSION_KEY] == "honcho-3"
    assert is_signed_in(client)
    event = AuditEvent.objects.get(action="sign_in")
    assert (event.actor.username, event.counter) == ("clerk", "honcho-3")


def test_a_code_typed_in_full_width_with_a_space_is_accepted(client, device):
    code = totp_code(device)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code[:3]) + "　" + code[3:]
    assert sign_in(client, code=full_width).status_code == 302


def test_a_code_cannot_be_used_twice(client, device):
    code = totp_code(device)
    assert sign_in(client, code=code).status_code == 302
    other = Client()
    assert sign_in(other, code=code).status_code == 200
    assert not is_signed_in(other)


def test_a_wrong_password_gets_the_same_message_as_a_wrong_code(client, device):
    response = sign_in(client, password="not the password", code=totp_code(device))
    assert "The user name, password or code is not right" in response.content.decode()
    assert not is_signed_in(client)
    assert refusals()[0].detail == {"reason": "password"}


def test_an_unknown_user_is_refused_without_an_actor(client):
    sign_in(client, username="nobody")
    [refusal] = refusals()
    assert refusal.actor is None


def test_a_resident_account_cannot_sign_in_as_staff(client):
    UserFactory(username="resident")
    response = sign_in(client, username="resident")
    assert response.status_code == 200
    assert refusals()[0].detail == {"reason": "not_staff"}
    assert not TOTPDevice.objects.exists()


def test_sign_in_needs_a_counter(client, device):
    response = sign_in(client, code=totp_code(device), counter="")
    assert "Choose the counter you work at." in response.content.decode()
    assert not is_signed_in(client)


def test_a_malformed_code_gets_its_own_message(client, device):
    response = sign_in(client, code="12ab")
    assert "Enter the 6-digit code shown in your authenticator app." in response.content.decode()


def test_sign_in_follows_next_within_the_site_only(client, device):
    response = sign_in(client, code=totp_code(device), next="/staff/audit/")
    assert response["Location"] == "/staff/audit/"
    other = Client()
    response = sign_in(other, code=totp_code(device, steps_ahead=1), next="https://evil.example/")
    assert response["Location"] == "/staff/"


def test_sign_in_rotates_the_session_key(client, device):
    client.get("/staff/login/")
    client.session.save()
    before = client.session.session_key
    sign_in(client, code=totp_code(device))
    assert client.session.session_key != before


def test_the_sign_in_page_sends_a_signed_in_clerk_on(client, clerk):
    sign_in_staff(client, clerk)
    assert client.get("/staff/login/?next=/staff/audit/")["Location"] == "/staff/audit/"


def test_sign_out_ends_the_session_and_is_recorded(client, clerk):
    sign_in_staff(client, clerk, counter="honcho-5")
    assert client.get("/staff/logout/").status_code == 405
    response = client.post("/staff/logout/")
    assert response["Location"] == "/staff/login/"
    assert not is_signed_in(client)
    assert AuditEvent.objects.get(action="sign_out").counter == "honcho-5"


# --- first-time enrolment ------------------------------------------------------------------------


def enrolment_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_first_sign_in_without_a_device_leads_to_enrolment_not_to_a_session(client, clerk):
    response = sign_in(client)
    assert response["Location"] == "/staff/enrol/"
    assert not is_signed_in(client)
    page = client.get("/staff/enrol/")
    html = page.content.decode()
    device = enrolment_device(clerk)
    assert page.status_code == 200
    assert "otpauth://totp/Sumida%20Kokuho%3Aclerk?secret=" in html
    assert "<svg" in html
    secret = re.search(r"<code>([A-Z2-7 ]{20,})</code>", html)[1]
    assert secret.replace(" ", "") in device.config_url


def test_enrolment_with_the_right_code_confirms_the_device_and_signs_in(client, clerk):
    sign_in(client, counter="honcho-4", next="/staff/audit/")
    device = enrolment_device(clerk)
    response = client.post("/staff/enrol/", {"code": totp_code(device)})
    assert response["Location"] == "/staff/audit/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[COUNTER_SESSION_KEY] == "honcho-4"
    assert ENROLMENT_SESSION_KEY not in client.session
    assert is_signed_in(client)
    assert AuditEvent.objects.filter(action="enrol_second_factor", actor=clerk).exists()


def test_enrolment_with_a_wrong_code_stays_on_the_page(client, clerk):
    sign_in(client)
    device = enrolment_device(clerk)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/staff/enrol/", {"code": wrong})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert not is_signed_in(client)


def test_enrolment_page_is_closed_without_a_correct_password_first(client, clerk):
    response = client.get("/staff/enrol/")
    assert response["Location"] == "/staff/login/"


def test_enrolment_page_closes_after_ten_minutes(client, clerk):
    sign_in(client)
    session = client.session
    session[ENROLMENT_SESSION_KEY]["started"] -= timedelta(minutes=11).total_seconds()
    session.save()
    assert client.get("/staff/enrol/")["Location"] == "/staff/login/"


def test_a_password_alone_cannot_add_a_device_to_an_enrolled_account(client, clerk, device):
    # Even with an enrolment started earlier, a confirmed device closes the enrolment page.
    extra = TOTPDeviceFactory(user=clerk, confirmed=False)
    session = client.session
    session[ENROLMENT_SESSION_KEY] = {
        "user": clerk.pk,
        "device": extra.pk,
        "started": time.time(),
        "counter": "honcho-1",
        "next": "/staff/",
    }
    session.save()
    assert client.get("/staff/enrol/")["Location"] == "/staff/login/"


# --- the staff gate and the admin ----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_with_next(client):
    response = client.get("/staff/search/?q=スミダ")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=/staff/search/")


def test_a_signed_in_resident_gets_no_staff_page(client):
    client.force_login(UserFactory())
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


def test_a_password_only_staff_session_is_not_enough(client, clerk):
    client.force_login(clerk)  # signed in, but no second factor verified
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


def test_staff_pages_are_not_cached(client, clerk):
    sign_in_staff(client, clerk)
    response = client.get("/staff/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_admin_requires_the_second_factor(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    sign_in_staff(client, admin_user)
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_in_asks_for_the_code(client, admin_user):
    html = client.get("/admin/login/").content.decode()
    assert 'name="otp_token"' in html


# --- roles and permissions -----------------------------------------------------------------------


def test_migrate_creates_the_three_role_groups():
    groups = {group.name: group for group in Group.objects.prefetch_related("permissions")}
    assert set(groups) >= {"counter", "supervisor", "admin"}

    def codenames(name):
        return {f"{p.content_type.app_label}.{p.codename}" for p in groups[name].permissions.all()}

    assert "eligibility.view_insuredperson" in codenames("counter")
    assert "eligibility.add_lifeevent" in codenames("counter")
    assert BROWSE_AUDIT not in codenames("counter")
    assert codenames("counter") < codenames("supervisor")
    assert {BROWSE_AUDIT, "cards.change_certificate"} <= codenames("supervisor")
    assert codenames("supervisor") - codenames("admin") == set()
    assert "eligibility.delete_household" in codenames("admin")


def test_sync_roles_is_idempotent_and_restores_edited_groups():
    counter = Group.objects.get(name="counter")
    counter.permissions.clear()
    sync_roles()
    sync_roles()
    assert counter.permissions.filter(codename="view_insuredperson").exists()
    assert Group.objects.filter(name="counter").count() == 1


def test_setup_roles_command_reports_each_role():
    out = io.StringIO()
    call_command("setup_roles", stdout=out, stderr=io.StringIO())
    assert "counter:" in out.getvalue()
    assert "Roles are set up." in out.getvalue()


@pytest.mark.parametrize(
    ("role", "search", "audit"),
    [
        (Role.COUNTER, 200, 403),
        (Role.SUPERVISOR, 200, 200),
        (Role.ADMIN, 200, 200),
        (None, 403, 403),
    ],
)
def test_what_each_role_may_open(client, role, search, audit):
    user = staff_in_role(role) if role else StaffUserFactory()
    sign_in_staff(client, user)
    assert client.get("/staff/search/?q=スミダ").status_code == search
    assert client.get("/staff/audit/").status_code == audit


def test_a_refused_page_is_audit_logged(client, clerk):
    sign_in_staff(client, clerk, counter="honcho-6")
    client.get("/staff/audit/")
    denied = AuditEvent.objects.get(action="denied")
    assert denied.actor == clerk
    assert denied.counter == "honcho-6"
    assert denied.detail == {"path": "/staff/audit/", "permission": BROWSE_AUDIT}


def test_staff_required_also_works_without_parentheses(rf: RequestFactory, clerk):
    @staff_required
    def bare(request):
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/x/")
    request.user = clerk  # no OTPMiddleware here: not verified
    request.session = {}
    assert bare(request).status_code == 302


# --- create_staff --------------------------------------------------------------------------------


def test_create_staff_makes_a_staff_member_with_a_device_and_prints_the_uri():
    out = io.StringIO()
    call_command("create_staff", "tanaka", role="supervisor", password=PASSWORD, stdout=out)
    user = StaffUserFactory._meta.model.objects.get(username="tanaka")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["supervisor"]
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert device.config_url in out.getvalue()


def test_create_staff_can_leave_enrolment_to_the_first_sign_in(client):
    out = io.StringIO()
    call_command("create_staff", "sato", role="counter", no_device=True, stdout=out)
    password = re.search(r"Password \(shown once\): (\S+)", out.getvalue())[1]
    assert not TOTPDevice.objects.exists()
    assert sign_in(client, username="sato", password=password)["Location"] == "/staff/enrol/"


def test_create_staff_refuses_a_weak_password_and_a_taken_name():
    with pytest.raises(CommandError, match="12"):  # at least 12 characters
        call_command("create_staff", "weak", role="counter", password="short", stdout=io.StringIO())
    StaffUserFactory(username="taken")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_staff", "taken", role="counter", password=PASSWORD)


# --- access helpers ------------------------------------------------------------------------------


def verified(user, counter="honcho-1"):
    """The user as a staff view sees it after OTPMiddleware and staff_required."""
    user.is_verified = lambda: True
    user.staff_counter = counter
    return user


def test_get_person_for_staff_returns_the_person_and_logs_the_view(django_assert_num_queries):
    person = InsuredPersonFactory()
    clerk = verified(staff_in_role(Role.COUNTER), counter="honcho-2")
    with django_assert_num_queries(4):  # permissions (2), person with household, audit insert
        found = get_person_for_staff(clerk, person.pk)
    assert found == person
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.person_id, event.household_id) == (
        clerk,
        person.pk,
        person.household_id,
    )
    assert event.counter == "honcho-2"


def test_get_person_for_staff_takes_an_explicit_counter():
    person = InsuredPersonFactory()
    clerk = verified(staff_in_role(Role.COUNTER))
    get_person_for_staff(clerk, person.pk, counter="back-office")
    assert AuditEvent.objects.get(action="view").counter == "back-office"


@pytest.mark.parametrize("who", ["anonymous", "resident", "unverified", "no_role"])
def test_get_person_for_staff_is_a_404_for_anyone_else(who):
    from django.contrib.auth.models import AnonymousUser

    person = InsuredPersonFactory()
    user = {
        "anonymous": lambda: AnonymousUser(),
        "resident": lambda: verified(UserFactory()),
        "unverified": lambda: staff_in_role(Role.COUNTER),
        "no_role": lambda: verified(StaffUserFactory()),
    }[who]()
    with pytest.raises(Http404):
        get_person_for_staff(user, person.pk)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("pk", [999_999, "abc", None])
def test_get_person_for_staff_is_a_404_for_no_such_person(pk):
    with pytest.raises(Http404):
        get_person_for_staff(verified(staff_in_role(Role.COUNTER)), pk)


def test_get_household_for_staff_returns_the_household_and_logs_the_view():
    person = InsuredPersonFactory()
    clerk = verified(staff_in_role(Role.COUNTER))
    household = get_household_for_staff(clerk, person.household_id)
    assert household.householder == person
    event = AuditEvent.objects.get(action="view")
    assert (event.household_id, event.object_type) == (household.pk, "eligibility.household")
    with pytest.raises(Http404):
        get_household_for_staff(verified(UserFactory()), person.household_id)
