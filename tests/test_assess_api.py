"""The assessment contract through its three doors: function, command and HTTP."""

import io
import json
import pathlib
import subprocess
import sys

import pytest
from django.core.management import call_command

from eligibility.assess_api import assess_payload
from sumida_kokuho.models import ApiToken

ROOT = pathlib.Path(__file__).resolve().parents[1]
CASES_DIR = ROOT.parent / "shared" / "cases"
CASES = sorted(CASES_DIR.glob("*.json"))
sys.path.insert(0, str(ROOT.parent / "shared" / "tools"))


def _compare(expect, got):
    from check_cases import compare  # the shared checker: the same comparison as CI's

    return compare(expect, got)


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_shared_cases_are_there():
    assert len(CASES) >= 8, f"expected the shared worked examples in {CASES_DIR}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shared_case_through_the_python_function(path):
    case = _load(path)
    assert _compare(case["expect"], assess_payload(case["request"])) == []


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shared_case_through_the_command(path, capsys):
    case = _load(path)
    stdin = io.StringIO(json.dumps(case["request"]))
    expect_errors = "errors" in case["expect"]
    try:
        sys_stdin, sys.stdin = sys.stdin, stdin
        if expect_errors:
            with pytest.raises(SystemExit) as exited:
                call_command("assess", "-")
            assert exited.value.code == 2
        else:
            call_command("assess", "-")
    finally:
        sys.stdin = sys_stdin
    got = json.loads(capsys.readouterr().out)
    assert _compare(case["expect"], got) == []


@pytest.fixture
def api_token(db, django_user_model):
    staff = django_user_model.objects.create_user("api-owner", is_staff=True)
    _token, plain = ApiToken.create_token("tests", by=staff)
    return plain


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shared_case_through_http(path, client, api_token):
    case = _load(path)
    response = client.post(
        "/api/v1/assess",
        json.dumps(case["request"]),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == (400 if "errors" in case["expect"] else 200)
    assert _compare(case["expect"], response.json()) == []


def test_all_shared_cases_in_one_list_through_the_command_line_process():
    payload = json.dumps([_load(p)["request"] for p in CASES])
    run = subprocess.run(
        [sys.executable, "manage.py", "assess", "-"],
        input=payload,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "DEBUG": "true"},
    )
    results = json.loads(run.stdout)
    assert run.returncode == 2  # one case is a bad request
    assert len(results) == len(CASES)
    for path, got in zip(CASES, results, strict=True):
        assert _compare(_load(path)["expect"], got) == [], path.stem


# --- bad input: every error kind names its field, 400 / exit 2, never a 500 --------------------

GOOD = {"as_of": "2026-11-26", "person": {"birth_date": "1980-05-05", "enrolled_on": "2015-04-01"}}


def _with(person=None, **top):
    request = json.loads(json.dumps(GOOD))
    request["person"].update(person or {})
    request.update(top)
    return request


BAD = [
    (_with(color="red"), "color"),
    (_with({"nickname": "x"}), "person.nickname"),
    (_with({"myna": {"registered_on": "2020-01-01", "pin": "1234"}}), "person.myna.pin"),
    (_with({"birth_date": "2025-02-30"}), "person.birth_date"),
    (_with({"birth_date": "1980/05/05"}), "person.birth_date"),
    (_with({"birth_date": "S55.5.5"}), "person.birth_date"),
    (_with({"birth_date": 19800505}), "person.birth_date"),
    (_with({"birth_date": "0055-05-05"}), "person.birth_date"),
    (_with(as_of="2026-13-01"), "as_of"),
    (_with({"enrolled_on": None}), "person.enrolled_on"),
    ({"person": GOOD["person"]}, "as_of"),
    ({"as_of": "2026-11-26"}, "person"),
    (_with({"withdrawn_on": "2015-03-31"}), "person.withdrawn_on"),
    (
        _with({"paper_card": {"issued_on": "2024-12-02", "valid_until": "2025-09-30"}}),
        "person.paper_card.issued_on",
    ),
    (
        _with({"paper_card": {"issued_on": "2024-10-01", "valid_until": "2024-09-30"}}),
        "person.paper_card.valid_until",
    ),
    (_with({"certificate": {"issued_on": "2025-10-01"}}), "person.certificate.valid_until"),
    (_with({"enrolment_reason": "lottery"}), "person.enrolment_reason"),
    (_with({"income": "rich"}), "person.income"),
    (_with({"myna": {"card_status": "broken"}}), "person.myna.card_status"),
    (_with({"events": [{"on": "2025-01-01", "kind": "wedding"}]}), "person.events[0].kind"),
    (_with({"events": [{"on": "2025-02-29", "kind": "address_change"}]}), "person.events[0].on"),
    (_with({"events": "address_change"}), "person.events"),
    (
        _with({"documents_issued": [{"document": "passport", "issued_on": "2025-01-01"}]}),
        "person.documents_issued[0].document",
    ),
    (_with({"needs_support": "yes"}), "person.needs_support"),
    (_with({"enrolled_on": "1979-01-01"}), "person.enrolled_on"),
    ("just a string", "request"),
    (_with({"myna": "yes"}), "person.myna"),
]


@pytest.mark.parametrize(("request_", "field"), BAD, ids=[f for _, f in BAD])
def test_bad_input_names_the_field(request_, field):
    answer = assess_payload(request_)
    assert "errors" in answer
    assert field in [e["field"] for e in answer["errors"]]
    assert all(e["message"] for e in answer["errors"])


def test_every_bad_field_is_named_not_only_the_first():
    answer = assess_payload(_with({"birth_date": "2025-02-30", "income": "rich"}, as_of="x"))
    assert {"person.birth_date", "person.income", "as_of"} <= {e["field"] for e in answer["errors"]}


@pytest.mark.parametrize(("request_", "field"), BAD[:8], ids=[f for _, f in BAD[:8]])
def test_bad_input_over_http_is_400_naming_the_field(request_, field, client, api_token):
    response = client.post(
        "/api/v1/assess",
        json.dumps(request_),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


def test_malformed_json_over_http_is_400(client, api_token):
    response = client.post(
        "/api/v1/assess",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "request"


def test_malformed_json_through_the_command_exits_2(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("{not json"))
    with pytest.raises(SystemExit) as exited:
        call_command("assess", "-")
    assert exited.value.code == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["field"] == "request"


def test_a_list_is_answered_element_by_element_with_200(client, api_token):
    response = client.post(
        "/api/v1/assess",
        json.dumps([GOOD, _with(income="rich")]),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first["insured"] is True and "errors" not in first
    assert second["errors"]


# --- who may call the endpoint ------------------------------------------------------------------


def test_anonymous_callers_are_refused(client, db):
    response = client.post("/api/v1/assess", json.dumps(GOOD), content_type="application/json")
    assert response.status_code == 401


def test_a_wrong_token_is_refused(client, db):
    response = client.post(
        "/api/v1/assess",
        json.dumps(GOOD),
        content_type="application/json",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401


def test_a_non_staff_session_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("resident")
    client.force_login(user)
    response = client.post("/api/v1/assess", json.dumps(GOOD), content_type="application/json")
    assert response.status_code == 401


def test_a_staff_session_without_the_second_factor_is_refused(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", is_staff=True)
    client.force_login(staff)
    response = client.post("/api/v1/assess", json.dumps(GOOD), content_type="application/json")
    assert response.status_code == 401


def test_a_verified_staff_session_may_assess_and_needs_csrf(django_user_model):
    from django.test import Client

    from tests.factories.staff import sign_in_staff

    staff = django_user_model.objects.create_user("clerk", is_staff=True)
    strict = Client(enforce_csrf_checks=True)
    sign_in_staff(strict, staff)
    refused = strict.post("/api/v1/assess", json.dumps(GOOD), content_type="application/json")
    assert refused.status_code == 403
    relaxed = Client()
    sign_in_staff(relaxed, staff)
    response = relaxed.post("/api/v1/assess", json.dumps(GOOD), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["burden_ratio"] == 30


def test_get_is_not_allowed(client, api_token):
    response = client.get("/api/v1/assess", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 405


# --- explanations -------------------------------------------------------------------------------


def test_explanation_follows_accept_language(client, api_token):
    request = _with({"enrolled_on": "2026-06-01"}, as_of="2026-06-10")
    ja = client.post(
        "/api/v1/assess",
        json.dumps(request),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}", "Accept-Language": "ja"},
    )
    en = client.post(
        "/api/v1/assess",
        json.dumps(request),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}", "Accept-Language": "en"},
    )
    ja_text, en_text = " ".join(ja.json()["explanation"]), " ".join(en.json()["explanation"])
    assert "資格確認書" in ja_text and "令和8年" in ja_text
    assert "eligibility certificate" in en_text and "2026" in en_text
    assert ja.json()["explanation"] != en.json()["explanation"]


def test_error_messages_are_translated():
    ja = assess_payload(_with({"income": "rich"}), "ja")["errors"][0]["message"]
    en = assess_payload(_with({"income": "rich"}), "en")["errors"][0]["message"]
    assert en.startswith("Unknown value")
    assert ja != en
