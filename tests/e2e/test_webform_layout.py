"""The web form reads well on a desktop and on a phone: a step, a step with an error, the
review page and the decided status page, each checked in a real browser at 1100 px and at
390 px wide: nothing wider than the screen, every visible text at WCAG 2.1 AA contrast
against its background, and an error message right under the answer it is about.

A screenshot of each page is written to var/test-artifacts/webform/ (not committed; set
WEBFORM_SCREENSHOTS=<folder> for another place) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from applicants.drafts import draft_start
from applicants.models import Channel, Draft
from scoring.services import score_waiting_applications
from tests.e2e.test_apply_in_browser import (  # noqa: F401 (fixtures)
    STEPS,
    fill_step,
    log_in,
    open_browser,
    save_and_continue,
    unsampled_model,
    verified_applicant,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("WEBFORM_SCREENSHOTS") or ROOT / "var" / "test-artifacts" / "webform")
DEVICES = {"desktop": (1100, 900), "phone": (390, 844)}

# Every element with text of its own that a person can see, and its contrast ratio against
# the first opaque background behind it (WCAG 2.1: 4.5:1, or 3:1 for large text).
LOW_CONTRAST = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const behind = (el) => { for (; el; el = el.parentElement) {
    const c = parse(getComputedStyle(el).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const problems = [];
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest('.visually-hidden, noscript, script, style, option')) continue;
    const s = getComputedStyle(el), box = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    const fg = parse(s.color), bg = behind(el);
    const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (parseInt(s.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push(`${el.tagName.toLowerCase()}.${el.className} `
      + `"${el.textContent.trim().slice(0, 40)}": ${ratio.toFixed(2)}`);
  }
  return problems;
}"""

# Elements that stick out past the right edge of the screen (what makes a page scroll sideways).
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.visually-hidden'))
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 5)"""


def looks_right(page: Any, device: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret would inject a style element, which the CSP refuses.
    page.screenshot(path=str(SHOTS / f"{device}-{name}.png"), full_page=True, caret="initial")
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} is {wider} px wider than the screen: {page.evaluate(STICKING_OUT)}"
    assert page.evaluate(LOW_CONTRAST) == [], f"{name}: text below WCAG AA contrast"


def error_under_its_answer(page: Any, name: str) -> None:
    """The message sits right under the answer it is about (the input, or a tick box with its
    label), lined up with it, inside the screen."""
    answer, message, width = page.evaluate(
        """(name) => {
          const box = (el) => {
            const r = el.getBoundingClientRect();
            return {x: r.x, y: r.y, bottom: r.bottom, right: r.right}; };
          const input = document.getElementById('f-' + name);
          return [box(input.closest('.choice') || input), box(document.getElementById('error-' + name)),
                  window.innerWidth];
        }""",
        name,
    )
    assert 0 <= message["y"] - answer["bottom"] <= 16, (answer, message)
    assert abs(message["x"] - answer["x"]) <= 4 and message["right"] <= width, (answer, message)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.usefixtures("unsampled_model")
def test_the_form_reads_well_on_a_desktop_and_a_phone(device, request, live_server, settings):
    settings.APPLICANT_STATUS_POLL_SECONDS = 1
    # (the fixtures of the walk-through, imported above: by name, not shadowed by arguments)
    user = request.getfixturevalue("verified_applicant")(f"layout-{device}")
    width, height = DEVICES[device]
    page = request.getfixturevalue("open_browser")(width=width, height=height)
    log_in(page, live_server.url, user.email, "pw-for-tests")
    looks_right(page, device, "01-home")
    page.click("#start-application")
    page.wait_for_url(re.compile(r"/steps/identity/$"))
    looks_right(page, device, "02-step")

    fill_step(page, {"full_name": "Lay Out", "date_of_birth": "23/04/1986", "national_id": "A!"})
    page.click("button[value=next]")
    page.wait_for_selector(".error-summary")
    error_under_its_answer(page, "national_id")
    looks_right(page, device, "03-step-error")

    fill_step(page, {"national_id": "LO-123456-A"})
    save_and_continue(page)
    fill_step(
        page,
        {
            "email": "lay@example.com",
            "phone": "+44 20 7946 0009",
            "address": "9 Example Street",
            "postcode": "EX1 9MP",
        },
    )
    save_and_continue(page)
    for _section, values in STEPS:
        fill_step(page, values)
        save_and_continue(page)
    assert page.url.endswith("/review/")
    looks_right(page, device, "04-review")

    page.click("#submit-application")  # consent not given yet: its error, on the review page
    page.wait_for_selector(".error-summary")
    error_under_its_answer(page, "consent")
    looks_right(page, device, "05-review-error")
    page.check("#f-consent")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/apply/applications/[0-9a-f-]+/$"))
    looks_right(page, device, "06-status-received")
    score_waiting_applications()
    page.wait_for_selector("#outcome", timeout=10_000)
    looks_right(page, device, "07-status-decided")
    assert page.console_problems == []

    # A draft left past its expiry: a page that says so, with a way to start again. It answers
    # 410 Gone, which Chromium reports on the console; nothing else may appear there.
    stale = draft_start(channel=Channel.WEB, owner_user=user, first_section="identity")
    Draft.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    page.goto(f"{live_server.url}/apply/drafts/{stale.pk}/")
    assert page.inner_text("h1") == "This application has expired"
    looks_right(page, device, "08-draft-expired")
    assert len(page.console_problems) == 1 and "status of 410 (Gone)" in page.console_problems[0]
