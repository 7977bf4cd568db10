"""Every change writes its audit event in the same transaction as the change.

A static check reads the write services (the only code that changes persons, households and
their documents at the counter): each `audit.record(...)` must sit inside a
`with transaction.atomic()` block, or in a helper that is itself only called inside one. A
dynamic check makes the audit write fail and shows the change is rolled back with it, and the
other way round.
"""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

import cards.services
import eligibility.services
from eligibility import services
from sumida_kokuho.models import ActivationCode, AuditEvent
from tests.factories import InsuredPersonFactory
from tests.factories.staff import staff_in_role

WRITE_SERVICES = [eligibility.services, cards.services]


def _is_atomic(node: ast.With) -> bool:
    for item in node.items:
        call = item.context_expr
        target = call.func if isinstance(call, ast.Call) else call
        if isinstance(target, ast.Attribute) and target.attr == "atomic":
            return True
        if isinstance(target, ast.Name) and target.id == "atomic":
            return True
    return False


def _calls_outside_atomic(function: ast.AST, names: set[str]) -> list[tuple[str, int]]:
    """Calls of `names` (record, or helpers) in `function` not inside an atomic block."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, ast.With) and _is_atomic(node):
            inside = True
        if isinstance(node, ast.Call) and not inside:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in names:
                found.append((name, node.lineno))
        for child in ast.iter_child_nodes(node):
            # A nested function runs when called, not where it is defined.
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, inside)

    for statement in function.body:  # type: ignore[attr-defined]
        visit(statement, False)
    return found


def unguarded_records(module: ModuleType) -> list[str]:
    return unguarded_records_in(inspect.getsource(module), module.__name__)


def unguarded_records_in(source: str, module_name: str) -> list[str]:
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    # Helpers whose record() calls rely on their caller's transaction, found to a fixed point.
    helpers: set[str] = set()
    while True:
        names = {"record"} | helpers
        needing = {name for name, node in functions.items() if _calls_outside_atomic(node, names)}
        if needing <= helpers:
            break
        helpers |= needing
    # A public function in that set would record (or call such a helper) with no transaction.
    return sorted(f"{module_name}.{name}" for name in helpers if not name.startswith("_"))


@pytest.mark.parametrize("module", WRITE_SERVICES, ids=lambda m: m.__name__)
def test_every_audit_record_of_a_change_is_inside_a_transaction(module):
    assert unguarded_records(module) == []


def test_the_static_check_finds_a_record_outside_a_transaction():
    source = """
from django.db import transaction
def _helper(x):
    audit.record(actor=x)
def good(x):
    with transaction.atomic():
        _helper(x)
def bad(x):
    x.save()
    _helper(x)
def also_bad(x):
    audit.record(actor=x)
"""
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert _calls_outside_atomic(functions["good"], {"record", "_helper"}) == []
    assert _calls_outside_atomic(functions["bad"], {"record", "_helper"}) == [("_helper", 10)]
    assert _calls_outside_atomic(functions["also_bad"], {"record"}) == [("record", 12)]
    assert unguarded_records_in(source, "example") == ["example.also_bad", "example.bad"]


# --- dynamic: the change and its event commit or roll back together ----------------------------


class Boom(Exception):
    pass


@pytest.fixture
def clerk(db):
    return staff_in_role(username="clerk_tx")


def test_a_failing_audit_write_rolls_the_change_back(clerk, monkeypatch):
    person = InsuredPersonFactory()

    def fail(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(AuditEvent.objects, "create", fail)
    with pytest.raises(Boom):
        services.issue_activation_code(person=person, by=clerk, counter="honcho-1")
    assert not ActivationCode.objects.filter(person=person).exists()


def test_a_change_failing_after_its_event_rolls_the_event_back(clerk, monkeypatch):
    person = InsuredPersonFactory()
    real = services.audit.record

    def record_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise Boom

    monkeypatch.setattr(services.audit, "record", record_then_fail)
    with pytest.raises(Boom):
        services.issue_activation_code(person=person, by=clerk, counter="honcho-1")
    assert not AuditEvent.objects.filter(person_id=person.pk).exists()
    assert not ActivationCode.objects.filter(person=person).exists()
