"""A strict Content-Security-Policy: the header on every page, and no template (nor admin HTML built in Python)
with an inline script, an on*= handler or a style attribute, which that policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [
    ROOT / "templates",
    *(ROOT / app / "templates" for app in ("portal", "shop", "shipping", "aftersales")),
]
APPS = [ROOT / app for app in ("portal", "shop", "shipping", "aftersales")]

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)

RULES = {
    "inline <script> (no src)": INLINE_SCRIPT,
    "on*= event handler": HANDLER,
    "style= attribute": STYLE_ATTR,
    "<style> element": STYLE_ELEMENT,
    "javascript: URL": JS_URL,
}


def offences(text: str) -> list[str]:
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for rule, pattern in RULES.items():
            if pattern.search(line):
                found.append(f"{lineno}: {rule}: {line.strip()[:120]}")
    return found


def template_files() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS if d.exists() for p in d.rglob("*.html"))


def test_the_rules_catch_what_the_policy_blocks():
    assert offences("<script>alert(1)</script>") and offences('<button onclick="x()">')
    assert offences('<div style="color:red">') and offences("<style>a{}</style>")
    assert offences('<a href="javascript:void(0)">')
    assert not offences('<script src="/static/js/portal.js" defer></script>')
    assert not offences('<div class="x" data-confirm="sure?"><p data-style="a">')


def test_no_template_has_inline_script_handler_or_style():
    files = template_files()
    assert len(files) > 50  # the walk found the templates
    bad = {str(p.relative_to(ROOT)): found for p in files if (found := offences(p.read_text(encoding="utf-8")))}
    assert not bad, (
        "the Content-Security-Policy would block these (move them to static/js or static/css):\n"
        + "\n".join(f"{path}\n  " + "\n  ".join(lines) for path, lines in bad.items())
    )


def test_no_python_builds_html_with_inline_style_or_handlers():
    """Admin columns and widgets (format_html, mark_safe) build HTML in Python: the same rules apply."""
    bad = []
    for app in APPS:
        for path in app.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ("format_html" in line or "mark_safe" in line or "<" in line) and (
                    re.search(r"<[a-z][^>]*\sstyle\s*=", line, re.I)
                    or re.search(r"<[a-z][^>]*\son[a-z]+\s*=", line, re.I)
                    or re.search(r"<script\b(?![^>]*\bsrc=)", line, re.I)
                ):
                    bad.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:120]}")
    assert not bad, "\n".join(bad)


def test_htmx_never_needs_eval_or_inline_styles():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base  # htmx would inject a <style> element
    assert '"allowEval": false' in base
    for path in template_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not re.search(r"\shx-on(?::|-)|hx-vals\s*=\s*['\"]\s*js:", line), (path, line)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_carry_a_strict_policy(merchant_client):
    response = merchant_client.get(reverse("home"))
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


@pytest.mark.parametrize(
    "url",
    ["/accounts/login/", "/shop/orders/", "/shipping/shipments/", "/aftersales/requests/", "/settings/api-keys/"],
)
def test_the_policy_is_on_every_kind_of_page(merchant_client, url):
    response = merchant_client.get(url)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_the_admin_has_the_same_strict_policy(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert policy(response)["style-src"] == ["'self'"] and policy(response)["script-src"] == ["'self'"]
    assert 'href="/static/css/admin.css"' in response.content.decode()  # the overview's rules, not inline


def test_only_the_api_docs_relax_style_src(client, merchant_client):
    docs = merchant_client.get("/api/docs/")
    assert docs.status_code == 200
    directives = policy(docs)
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]  # scripts stay strict: Swagger's init script is a file
    assert not INLINE_SCRIPT.search(docs.content.decode())
    redoc = merchant_client.get("/api/redoc/")
    assert redoc.status_code == 200 and not INLINE_SCRIPT.search(redoc.content.decode())


def test_static_files_the_pages_load_exist():
    """Every `{% static '…' %}` a template names is a file of static/ (scripts moved out of templates included)."""
    named = {
        name
        for path in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r"""{% static ['"]([^'"]+)['"] %}""", path.read_text())
    }
    assert {"js/portal.js", "css/portal.css"} <= named
    assert [name for name in sorted(named) if not (ROOT / "static" / name).exists()] == []
