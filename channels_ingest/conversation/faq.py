"""Answers to questions asked on the way ("what interest rate?"), from a YAML file a deployment
edits (CONVERSATION_FAQ_PATH), matched with rapidfuzz. Below CONVERSATION_FAQ_MIN_SCORE the
engine says it does not know and offers a person, rather than guessing."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from rapidfuzz import fuzz, process

from channels_ingest.conversation.parsing import normalise


@dataclass(frozen=True)
class FaqMatch:
    answer: str
    question: str
    score: float


@functools.cache
def _entries(path: str) -> tuple[tuple[str, str], ...]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise ImproperlyConfigured(f"CONVERSATION_FAQ_PATH {path}: {exc}") from exc
    pairs = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("answer") or not entry.get("questions"):
            raise ImproperlyConfigured(f"{path}: entry {index + 1} needs `questions` and `answer`")
        pairs += [(normalise(str(q)), str(entry["answer"]).strip()) for q in entry["questions"]]
    return tuple(pairs)


def faq_match(text: str) -> FaqMatch | None:
    """The best answer for the question, or None when nothing matches well enough."""
    entries = _entries(str(settings.CONVERSATION_FAQ_PATH))
    said = normalise(text)
    if not said or not entries:
        return None
    best = process.extractOne(
        said,
        [q for q, _ in entries],
        scorer=fuzz.token_set_ratio,
        score_cutoff=settings.CONVERSATION_FAQ_MIN_SCORE,
    )
    if best is None:
        return None
    question, score, index = best
    return FaqMatch(answer=entries[index][1], question=question, score=float(score))


@receiver(setting_changed)
def _forget(setting: str, **kwargs: object) -> None:
    if setting == "CONVERSATION_FAQ_PATH":
        _entries.cache_clear()
