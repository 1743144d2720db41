"""Twilio webhooks (anonymous, each request's signature checked)."""

from django.urls import path

from channels_ingest.conversation.transports import sms, voice

app_name = "twilio"

urlpatterns = [
    path("sms/", sms.inbound_sms, name="sms"),
    path("voice/", voice.inbound_call, name="voice"),
    path("voice/status/", voice.call_status, name="voice-status"),
]
