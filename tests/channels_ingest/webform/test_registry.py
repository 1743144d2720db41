"""Channels register themselves; config/urls.py mounts what is registered."""

from __future__ import annotations

import pytest
from django.urls import resolve

from applicants.models import Channel
from channels_ingest.registry import CHANNELS, ChannelSpec, channel_get, register


def test_the_api_and_the_web_form_are_registered_and_mounted():
    assert {"api", "web"} <= set(CHANNELS)
    assert channel_get(Channel.WEB).methods == ("typed",)
    assert resolve("/api/v1/schema/").view_name == "api:application-schema"
    assert resolve("/apply/").view_name == "webform:home"
    assert resolve("/apply/account/login/").view_name == "account_login"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (dict(name="pigeon", title="x", methods=(), url_prefix="p/", urls="m"), "is not one of"),
        (dict(name="sms", title="x", methods=("telepathy",), url_prefix="p/", urls="m"), "unknown capture"),
        (dict(name="sms", title="x", methods=(), url_prefix="p", urls="m"), "must end with"),
    ],
)
def test_a_bad_channel_is_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        ChannelSpec(**spec)


def test_a_channel_or_prefix_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        register(ChannelSpec(name="web", title="again", methods=(), url_prefix="x/", urls="m"))
    with pytest.raises(ValueError, match="is taken"):
        register(ChannelSpec(name="sms", title="sms", methods=(), url_prefix="apply/", urls="m"))
    assert "sms" not in CHANNELS
