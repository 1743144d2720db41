"""The channels: each package under channels_ingest/ registers itself here (its name, how it
captures answers, where its pages or endpoints live), and config/urls.py mounts them all.

Adding a channel is one package and one line below; no other channel changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, include, path

from applicants.models import Channel
from applicants.provenance import Method


@dataclass(frozen=True)
class ChannelSpec:
    name: str  # the Channel value its applications carry
    title: str
    methods: tuple[str, ...]  # how it captures answers (applicants.provenance.Method)
    url_prefix: str  # where it is mounted, e.g. "api/v1/"
    urls: str  # the module of its urlpatterns (with its app_name)
    # Other url modules it brings, mounted as they are: (prefix, module), e.g. its accounts.
    extra_urls: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.name not in Channel.values:
            raise ValueError(f"channel {self.name!r} is not one of {Channel.values}")
        unknown = set(self.methods) - set(Method.ALL)
        if unknown:
            raise ValueError(f"channel {self.name!r} names unknown capture methods {unknown}")
        if self.url_prefix and not self.url_prefix.endswith("/"):
            raise ValueError(f"channel {self.name!r}: url_prefix must end with '/'")


CHANNELS: dict[str, ChannelSpec] = {}


def register(spec: ChannelSpec) -> ChannelSpec:
    if spec.name in CHANNELS:
        raise ValueError(f"channel {spec.name!r} is registered twice")
    taken = {c.url_prefix for c in CHANNELS.values()}
    if spec.url_prefix in taken:
        raise ValueError(f"url prefix {spec.url_prefix!r} is taken")
    CHANNELS[spec.name] = spec
    return spec


register(
    ChannelSpec(
        name=Channel.API,
        title="Mobile / REST API",
        methods=(Method.API,),
        url_prefix="api/v1/",
        urls="channels_ingest.api.urls",
    )
)
register(
    ChannelSpec(
        name=Channel.WEB,
        title="Web form",
        methods=(Method.TYPED,),
        url_prefix="apply/",
        urls="channels_ingest.webform.urls",
        # applicant accounts (django-allauth): sign-up, email check, login, reset
        extra_urls=(("apply/account/", "allauth.urls"),),
    )
)
register(
    ChannelSpec(
        name=Channel.PHONE_AGENT,
        title="Call-centre agent screen",
        methods=(Method.KEYED,),
        url_prefix="agent/",
        urls="channels_ingest.phone.urls",
    )
)

register(
    ChannelSpec(
        name=Channel.MAIL,
        title="Mail entry (double keying)",
        methods=(Method.KEYED, Method.DOUBLE_KEYED),
        url_prefix="mail/",
        urls="channels_ingest.mail.urls",
    )
)
register(
    ChannelSpec(
        name=Channel.CHATBOT,
        title="Chat, SMS and voice bot",
        methods=(Method.TYPED, Method.SPEECH, Method.KEYPAD),
        url_prefix="chat/",
        urls="channels_ingest.conversation.urls",
        # Twilio's webhooks for SMS and voice (anonymous, signature-checked)
        extra_urls=(
            ("hooks/twilio/", "channels_ingest.conversation.transports.urls"),
            # the phone simulator: plays SMS and voice against those webhooks (DEBUG only, 404 otherwise)
            ("dev/phone/", "channels_ingest.conversation.simulator.urls"),
        ),
    )
)


def channel_urlpatterns() -> list[URLPattern | URLResolver]:
    """One include per registered channel, for config/urls.py."""
    patterns: list[URLPattern | URLResolver] = []
    for spec in CHANNELS.values():
        # Extra modules first: "apply/account/" must win over the channel's own "apply/".
        patterns += [path(prefix, include(module)) for prefix, module in spec.extra_urls]
        patterns.append(path(spec.url_prefix, include(spec.urls)))
    return patterns


def channel_get(name: str) -> ChannelSpec | None:
    return CHANNELS.get(name)


def channels() -> list[dict[str, Any]]:
    return [
        {"name": c.name, "title": c.title, "methods": list(c.methods), "url_prefix": c.url_prefix}
        for c in CHANNELS.values()
    ]
