"""The structure the design promises (DESIGN.md: Boundaries between the apps), checked on the source:
the layers hold, hooks are declared and registered, and each cross-app rule has one owner. Each test
names the telltale of a second copy; adding one makes it fail."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from portal import hooks

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "shop", "shipping", "aftersales")


def sources(suffix: str = ".py", *, folders=APPS) -> dict[str, str]:
    """{relative path: text} of the product's files (no migrations, no tests)."""
    out = {}
    for folder in folders:
        for path in (ROOT / folder).rglob(f"*{suffix}"):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel:
                out[rel] = path.read_text(encoding="utf-8")
    return out


def where(pattern: str, files: dict[str, str]) -> set[str]:
    return {rel for rel, text in files.items() if re.search(pattern, text)}


def test_import_linter_contracts_hold():
    """`lint-imports`: the layers portal ← shop ← shipping ← aftersales, and no app imports another's models."""
    exe = shutil.which("lint-imports") or str(Path(__import__("sys").executable).with_name("lint-imports"))
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.stdout.count("KEPT") >= 3


@pytest.mark.django_db
def test_every_declared_hook_is_registered_by_a_higher_app():
    for hook in hooks.ALL:
        assert hook.is_registered, f"{hook.name} has no implementation"
        for impl in hook.implementations:
            assert impl.__module__.split(".")[0] in ("shipping", "aftersales"), (hook.name, impl.__module__)
    assert [h.__module__ for h in hooks.order_cancelled.implementations] == ["shipping.services.booking"]


def test_no_module_assigns_another_module_s_globals():
    """Extension happens through portal.hooks, never `orders.PICKUP_SCAN_LOOKUP = ...` at start-up."""
    offenders = where(r"(?m)^\s+(?!request\.|self\.)[a-z_]+\.[A-Z][A-Z_]+\s*(=|\.append\()", sources())
    assert offenders == set()


def _function_local_cross_app_imports(rel: str, text: str) -> list[str]:
    app = rel.split("/")[0]
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                target = inner.module.split(".")[0]
                if target in APPS and target != app:
                    found.append(f"{rel}:{inner.lineno} {inner.module}")
    return found


def test_no_function_local_import_hides_a_dependency_between_apps():
    """Cross-app imports sit at the top of the module where import-linter sees them (AppConfig.ready excepted)."""
    found = []
    for rel, text in sources().items():
        if not rel.endswith("/apps.py"):
            found += _function_local_cross_app_imports(rel, text)
    assert found == []


# --- one owner per rule ----------------------------------------------------------------------------------


def test_refund_status_has_one_owner():
    """Only after-sales computes the platform refund status: no other function returns the 1–4 codes."""
    owners = set()
    for rel, text in sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and "refund_status" in node.name:
                codes = {
                    r.value.value
                    for r in ast.walk(node)
                    if isinstance(r, ast.Return) and isinstance(r.value, ast.Constant) and r.value.value in (1, 2, 3, 4)
                }
                if codes or "RefundCode" in ast.get_source_segment(text, node):
                    owners.add(rel)
    assert owners == {"aftersales/selectors.py"}


def test_recipient_phone_masking_has_one_owner():
    """The mask is written once (shop.models.orders.recipient_phone_shown); pages never print the raw phone."""
    code = sources()
    assert where(r"\*\*\*\*", code) == {"shop/models/orders.py"}
    templates = sources(".html", folders=("templates",))
    raw = where(r"\{\{\s*\w+\.recipient_phone\s*\}\}", templates)
    # the booking confirmation reviews to-ship orders with their full phone ({{ r.line.recipient_phone }}),
    # as the courier receives it; its edit action is a form input
    assert raw <= {"templates/shipping/booking_confirm.html"}
    assert "r.line.recipient_phone" in templates["templates/shipping/booking_confirm.html"]


def test_penalties_are_funded_only_through_penalty_charge():
    """Payouts first, then the deposit: nothing but funds.penalty_charge deducts from the deposit."""
    callers = where(r"\bdeposit_deduct\(", sources())
    assert callers == {"shop/services/deposit.py", "shop/services/funds.py"}


def test_the_batch_limit_message_has_one_home():
    everything = {**sources(), **sources(".html", folders=("templates",)), **sources(".js", folders=("static",))}
    assert where("每次最多", everything) == {"shipping/services/booking.py", "templates/shipping/booking_centre.html"}
    # the page's hint names the limit; the refusal's wording is the service's, also for the selection script
    assert "每次最多下单" not in everything["templates/shipping/booking_centre.html"]
    assert where("每次最多下单", everything) == {"shipping/services/booking.py"}


def test_waybill_formats_live_in_the_courier_table():
    """No code dict of courier formats: a pattern like SF + 13 digits appears only in migrations' data."""
    assert where(r"WAYBILL_FORMATS", sources()) == set()
    assert where(r"\\d\{1[0-9]\}", sources()) == set()


def test_the_safe_next_redirect_has_one_owner():
    """Pages follow `next` only through portal.redirects.safe_next (url_has_allowed_host_and_scheme)."""
    code = sources()
    assert where(r"url_has_allowed_host_and_scheme", code) == {"portal/redirects.py"}
    assert where(r"""\.get\(\s*["']next["']""", code) == set()
    assert where(r"""startswith\(\s*["']/["']\s*\)""", code) == set()  # the hand-written check it replaced


def test_every_state_machine_declares_its_actions():
    """Each FSM model says what people may do to it (portal.actions.declare, possibly nothing), and no
    transition stays in its state: same-state changes are edits (portal.fsm.edit), not transitions."""
    from django.apps import apps
    from django_fsm import FSMField

    from portal.actions import ACTIONS

    machines = {
        m._meta.label
        for m in apps.get_models()
        if not m._meta.proxy and any(isinstance(f, FSMField) for f in m._meta.fields)
    }
    assert machines - set(ACTIONS) == set()
    assert {"shop.Order", "aftersales.AftersalesRequest", "portal.WebhookDelivery"} <= machines
    same_state, seen = [], 0
    for label in machines:
        model = apps.get_model(label)
        for field in model._meta.fields:
            if not isinstance(field, FSMField):
                continue
            for t in getattr(model, f"get_all_{field.name}_transitions")(model()):
                seen += 1
                if t.target is None or t.target == t.source:
                    same_state.append(f"{label}.{t.name}")
    assert seen > 60 and same_state == []
