"""The web chat (/chat/): a page with a small widget (static JS, no inline script) that posts
each message to a JSON endpoint.

The conversation is bound to the browser session. Anyone may chat: questions are answered
and answers collected without an account. Sending the application needs an applicant account:
an anonymous person is asked to log in or sign up (the session, and so the conversation, goes
with them through the login), and the login is the verified step that links the
conversation, and the application it sends, to the account. A logged-in applicant who opens
the chat on another device picks up their latest open conversation.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import can_chat, can_continue_conversation, can_submit_by_chat
from channels_ingest.conversation import texts
from channels_ingest.conversation.engine import (
    Reply,
    TurnInput,
    conversation_for,
    conversation_opening,
    conversation_turn,
)
from channels_ingest.conversation.models import Conversation, Mode, Transport

SESSION_KEY = "chat_conversation"
MAX_TEXT = 1000


@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    if not can_chat(request.user):
        return HttpResponse(status=403)
    conversation = _conversation(request)
    reply = conversation_opening(conversation)
    return render(
        request,
        "conversation/chat.html",
        {
            "opening": reply.messages,
            "conversation": conversation,
            "login_url": _login_url(),
            "signup_url": _signup_url(),
        },
    )


@require_POST
def chat_turn(request: HttpRequest) -> HttpResponse:
    if not can_chat(request.user):
        return JsonResponse({"error": "Chat is not available to this account."}, status=403)
    text = _text_of(request)
    if text is None:
        return JsonResponse({"error": 'Send your message as {"text": "..."}.'}, status=400)
    if len(text) > MAX_TEXT:
        return JsonResponse({"error": f"Please keep a message under {MAX_TEXT} characters."}, status=400)
    conversation = _conversation(request)
    reply = conversation_turn(
        conversation, TurnInput(text=text), submitter=lambda c: _submitter(request.user, c)
    )
    return JsonResponse(_payload(reply))


def _payload(reply: Reply) -> dict[str, Any]:
    data: dict[str, Any] = {
        "messages": reply.messages,
        "kind": reply.kind,
        "field": reply.field,
        "handoff": reply.handoff,
        "needs_account": reply.needs_account,
    }
    if reply.needs_account:
        data["login_url"], data["signup_url"] = _login_url(), _signup_url()
    if reply.application_id:
        data["status_url"] = reverse("webform:status", kwargs={"application_id": reply.application_id})
    return data


def _submitter(user: Any, conversation: Conversation) -> tuple[Any, Any] | str:
    if not user.is_authenticated:
        return texts.NEEDS_ACCOUNT
    if not can_submit_by_chat(user) or conversation.user_id != user.pk:
        return texts.NOT_FOR_THIS_ACCOUNT
    return user, user


def _conversation(request: HttpRequest) -> Conversation:
    """This session's conversation (linked to the account once logged in), or a new one."""
    user = request.user if request.user.is_authenticated else None
    conversation = None
    session_id = request.session.get(SESSION_KEY)
    if session_id:
        conversation = Conversation.objects.filter(pk=session_id, transport=Transport.CHAT).first()
        if conversation is not None and not can_continue_conversation(
            request.user, conversation, session_conversation=session_id
        ):
            conversation = None
    if conversation is None and user is not None:
        conversation = (
            Conversation.objects.filter(transport=Transport.CHAT, user=user)
            .exclude(mode=Mode.SUBMITTED)
            .order_by("-updated_at")
            .first()
        )
    if conversation is None:
        conversation = conversation_for(transport=Transport.CHAT, key=uuid.uuid4().hex)
    if user is not None and conversation.user_id is None and can_submit_by_chat(user):
        # Logging in is the verified step that makes the conversation this account's.
        Conversation.objects.filter(pk=conversation.pk, user__isnull=True).update(user=user)
        conversation.refresh_from_db()
    if session_id != str(conversation.pk):  # setting it unchanged would rewrite the session row
        request.session[SESSION_KEY] = str(conversation.pk)
    return conversation


def _text_of(request: HttpRequest) -> str | None:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None
        text = body.get("text") if isinstance(body, dict) else None
    else:
        text = request.POST.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    return text.strip()


def _login_url() -> str:
    return reverse("account_login") + "?next=" + reverse("conversation:chat")


def _signup_url() -> str:
    return reverse("account_signup") + "?next=" + reverse("conversation:chat")
