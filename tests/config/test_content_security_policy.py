"""Content-Security-Policy on every page, and no template that the policy would break:
no inline <script>, <style>, style="" or on...="" handlers anywhere in our templates."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import ROOT

TEMPLATE_DIRS = [
    path
    for path in ROOT.glob("**/templates")
    if not any(part in {".venv", "node_modules", "var"} for part in path.parts)
]
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE),
}


def templates() -> list:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def test_the_scan_sees_the_templates_of_every_area():
    names = {str(path.relative_to(ROOT)) for path in templates()}
    assert {
        "templates/base.html",
        "templates/auditing/exports.html",
        "templates/modelops/model_detail.html",
    } <= names
    assert len(names) > 20


def test_the_scan_finds_each_kind_of_inline_code():
    samples = [
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<p style="x">',
        '<form onsubmit="return x()">',
        '<a href="javascript:x()">',
    ]
    for sample in samples:
        assert any(pattern.search(sample) for pattern in INLINE.values()), sample
    assert not any(p.search('<script src="/static/x.js" defer></script>') for p in INLINE.values())


def test_no_template_has_inline_script_or_style():
    found = []
    for path in templates():
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", path.read_text(), flags=re.S)
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)!r}")
    assert not found, "\n".join(found)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/login/",
        "/admin/login/",
        "/api/docs/",
        "/api/v1/schema/",
        "/healthz",
        "/static/css/app.css",
    ],
)
def test_every_response_carries_the_policy(path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
