"""/dev/phone/ (DEBUG only): the phone simulator page. Plain forms posted to this view, which
sends the signed webhook request through the service and keeps the conversation in the
session; no script at all (the page works from the keyboard and on a phone)."""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import can_use_phone_simulator
from channels_ingest.conversation.simulator import service

SESSION_KEY = "phone_simulator"
DEFAULT_NUMBER = "+15005550001"
MAX_LOG = 300
NUMBER = re.compile(r"\+?[0-9]{6,15}")


def _state(request: HttpRequest) -> dict[str, Any]:
    state: dict[str, Any] = request.session.get(SESSION_KEY) or {}
    state.setdefault("channel", "sms")
    state.setdefault("number", DEFAULT_NUMBER)
    state.setdefault("log", [])
    state.setdefault("call_sid", "")
    state.setdefault("action", "")
    state.setdefault("redirect", "")
    return state


@require_http_methods(["GET", "POST"])
def phone(request: HttpRequest) -> HttpResponse:
    if not can_use_phone_simulator(request.user):
        raise Http404("The phone simulator exists only when DEBUG is on.")
    state = _state(request)
    error = ""
    if request.method == "POST":
        error = _act(request, state)
        state["log"] = state["log"][-MAX_LOG:]
        request.session[SESSION_KEY] = state
        if not error:
            return redirect("simulator:phone")
    return render(
        request,
        "conversation/simulator.html",
        {
            "state": state,
            "in_call": bool(state["call_sid"]),
            "error": error,
            "twiml": request.session.get(SESSION_KEY + "_twiml", ""),
        },
        status=400 if error else 200,
    )


def _act(request: HttpRequest, state: dict[str, Any]) -> str:
    """Do what the form asked; an error message for bad input (nothing sent then)."""
    what = request.POST.get("do", "")
    host, secure = request.get_host(), request.is_secure()
    log: list[dict[str, str]] = state["log"]
    if what == "setup":
        channel = request.POST.get("channel", "")
        number = request.POST.get("number", "").replace(" ", "")
        if channel not in ("sms", "voice"):
            return "Choose SMS or voice."
        if not NUMBER.fullmatch(number):
            return "The phone number is digits, with an optional + in front (6 to 15 digits)."
        state.update(channel=channel, number=number, log=[], call_sid="", action="", redirect="")
        return ""
    if what == "clear":
        state.update(log=[], call_sid="", action="", redirect="")
        return ""
    if what == "sms":
        body = request.POST.get("text", "").strip()
        if not body or len(body) > 1600:
            return "Type a message (up to 1,600 characters)."
        log.append({"who": "you", "text": body})
        _record(request, state, service.sms_send(host=host, secure=secure, sender=state["number"], body=body))
        return ""
    if what == "call":
        state.update(call_sid=service.new_sid("CA"), action="", redirect="")
        log.append({"who": "note", "text": f"(calling from {state['number']})"})
        return _voice(request, state, path="")
    if not state["call_sid"]:
        return "Start a call first."
    if what == "say":
        speech = request.POST.get("text", "").strip()
        try:
            confidence = float(request.POST.get("confidence", "0.9"))
        except ValueError:
            return "The confidence is a number between 0 and 1."
        if not speech or len(speech) > 500 or not 0.0 <= confidence <= 1.0:
            return "Type what the caller says (up to 500 characters), with a confidence between 0 and 1."
        log.append({"who": "you", "text": f"{speech}  (speech, confidence {confidence:.2f})"})
        return _voice(request, state, path=state["action"], speech=speech, confidence=f"{confidence:.2f}")
    if what == "keys":
        digits = request.POST.get("digits", "").strip()
        if not re.fullmatch(r"[0-9*#]{1,20}", digits):
            return "Keys are digits, * or # (up to 20)."
        log.append({"who": "you", "text": f"{digits}  (keypad)"})
        return _voice(request, state, path=state["action"], digits=digits.rstrip("#"))
    if what == "silence":
        log.append({"who": "note", "text": "(silence)"})
        return _voice(request, state, path=state["redirect"] or state["action"])
    if what == "hangup":
        service.call_ended(host=host, secure=secure, caller=state["number"], call_sid=state["call_sid"])
        log.append({"who": "note", "text": "(you hung up; the status callback said: completed)"})
        state.update(call_sid="", action="", redirect="")
        return ""
    return "Unknown action."


def _voice(request: HttpRequest, state: dict[str, Any], *, path: str, **said: str) -> str:
    outcome = service.voice_post(
        host=request.get_host(),
        secure=request.is_secure(),
        path=path,
        caller=state["number"],
        call_sid=state["call_sid"],
        **said,
    )
    _record(request, state, outcome)
    state.update(action=outcome.action, redirect=outcome.redirect)
    if outcome.ended:
        state.update(call_sid="", action="", redirect="")
    return ""


def _record(request: HttpRequest, state: dict[str, Any], outcome: service.Outcome) -> None:
    """The reply as lines of the conversation (a refused request says its status)."""
    request.session[SESSION_KEY + "_twiml"] = outcome.twiml[:20_000]
    if outcome.status != 200:
        state["log"].append({"who": "note", "text": f"(the webhook answered {outcome.status})"})
        return
    state["log"] += [{"who": "platform", "text": line} for line in outcome.lines]
    state["log"] += [{"who": "note", "text": note} for note in outcome.notes]
