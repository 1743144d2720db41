"""How people name each field in a sentence (vocabulary.yaml, per schema): the cues that
introduce a value mid-sentence, other names used in corrections, and units."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from applicants.schema import ApplicationSchema
from channels_ingest.conversation.parsing import normalise

_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class FieldWords:
    name: str
    cues: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    unit: str = ""


@functools.cache
def _load() -> dict[str, dict[str, dict]]:
    return yaml.safe_load(_FILE.read_text(encoding="utf-8")) or {}


def words_for(schema: ApplicationSchema) -> dict[str, FieldWords]:
    """Every field of the schema, with its words (its label and name always among them)."""
    return _words_for(schema.name, schema.feature_spec_hash, schema)


_CACHE: dict[tuple[str, str], dict[str, FieldWords]] = {}


def _words_for(name: str, spec_hash: str, schema: ApplicationSchema) -> dict[str, FieldWords]:
    key = (name, spec_hash + str(len(schema.fields)))
    if key not in _CACHE:
        _CACHE[key] = _build(schema)
    return _CACHE[key]


def _build(schema: ApplicationSchema) -> dict[str, FieldWords]:
    listed = _load().get(schema.name, {})
    result = {}
    for spec in schema.fields:
        entry = listed.get(spec.name) or {}
        names = {normalise(spec.label), spec.name.replace("_", " ")}
        names |= {normalise(str(n)) for n in entry.get("names", [])}
        result[spec.name] = FieldWords(
            name=spec.name,
            cues=tuple(normalise(str(c)) for c in entry.get("cues", [])),
            names=tuple(sorted(names)),
            unit=str(entry.get("unit", "")),
        )
    return result


@functools.cache
def cue_pattern(cue: str) -> re.Pattern[str]:
    return re.compile(r"\b" + r"\s+".join(map(re.escape, cue.split())) + r"\b", re.IGNORECASE)
