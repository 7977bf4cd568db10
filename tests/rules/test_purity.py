"""The rules module is pure: no Django, no clock, no database, no settings (STYLE.md)."""

import ast
import pathlib

import pytest

RULES = pathlib.Path(__file__).resolve().parents[2] / "eligibility" / "rules"
FORBIDDEN_MODULES = ("django", "eligibility.models", "sumida_kokuho", "cards", "notices")
FORBIDDEN_CALLS = {"today", "now", "utcnow", "localdate", "time"}


def _modules():
    files = sorted(RULES.glob("*.py"))
    assert len(files) >= 5
    return files


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_rules_module_imports_no_django_or_app_code(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(FORBIDDEN_MODULES), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_rules_module_never_reads_the_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in FORBIDDEN_CALLS, f"{path.name} calls .{node.func.attr}()"


def test_rule_dates_are_not_literals_in_the_engine():
    source = (RULES / "engine.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "date"
    ]
    assert calls == [], "dates of the rules belong in policy.py"
