"""ApplicationSchema: a loaded schema, with what every consumer derives from it (fields by
name, sections in order, the model's feature columns and their hash, the public
description clients build forms from)."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from applicants.schema.elements import (
    NUMERIC_TYPES,
    Derived,
    Feature,
    Field,
    Rule,
    default_reason,
)
from applicants.schema.sections import DEFAULT_SECTION, Section, order_sections


@dataclass(frozen=True)
class ApplicationSchema:
    name: str
    title: str
    version: int
    description: str
    identity_field: str | None
    fields: tuple[Field, ...]
    derived: tuple[Derived, ...]
    rules: tuple[Rule, ...]
    source_hash: str
    path: Path
    section_titles: tuple[tuple[str, str, str], ...] = ()  # (name, title, help) as declared
    currency: str = ""  # ISO 4217 code of the money fields (display: money), e.g. GBP

    @functools.cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @functools.cached_property
    def sections(self) -> tuple[Section, ...]:
        """Sections in order: those declared under `sections`, then any other a field names,
        in the order of their first field. Empty sections are left out."""
        return order_sections(self.fields, self.section_titles, self.title)

    def section_of(self, field_name: str) -> str:
        f = self.by_name[field_name]
        return f.section or DEFAULT_SECTION

    @functools.cached_property
    def pii_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.pii)

    @functools.cached_property
    def features(self) -> tuple[Feature, ...]:
        columns = [
            Feature(
                name=f.name,
                label=f.label,
                kind="numeric" if f.type in NUMERIC_TYPES else f.type,
                reason=f.reason or default_reason(f.label),
                choices=f.choice_values,
            )
            for f in self.fields
            if f.feature
        ]
        columns += [
            Feature(name=d.name, label=d.label, kind="derived", reason=d.reason or default_reason(d.label))
            for d in self.derived
            if d.feature
        ]
        return tuple(columns)

    @functools.cached_property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @functools.cached_property
    def feature_spec_hash(self) -> str:
        """What a trained model depends on: the columns, their order and their encoding.
        Help text or prompts may change without retraining; this hash may not."""
        return self._feature_spec(choices_in_order=True)

    @functools.cached_property
    def feature_spec_hash_any_order(self) -> str:
        """The same, with each field's choices as a set: all a model that reads choices by
        value (native categoricals, scoring/encoding.py) depends on."""
        return self._feature_spec(choices_in_order=False)

    def _feature_spec(self, *, choices_in_order: bool) -> str:
        spec = [
            {
                "name": f.name,
                "kind": f.kind,
                "choices": list(f.choices) if choices_in_order else sorted(f.choices, key=str),
            }
            for f in self.features
        ] + [
            {"derived": d.name, "expression": d.expression.source if d.expression else None}
            for d in self.derived
            if d.feature
        ]
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()

    def public_description(self) -> dict[str, Any]:
        """The schema as a client needs it to build a form (API, chatbot, voice)."""
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "description": self.description,
            "fields": [_describe_field(f) for f in self.fields],
            "rules": [{"name": r.name, "field": r.field, "message": r.message} for r in self.rules],
            "sections": [
                {"name": s.name, "title": s.title, "help": s.help, "fields": [f.name for f in s.fields]}
                for s in self.sections
            ],
        }


def _describe_field(f: Field) -> dict[str, Any]:
    return {
        "name": f.name,
        "label": f.label,
        "type": f.type,
        "required": f.required,
        "help": f.help,
        "prompt": f.prompt,
        "section": f.section,
        "pii": f.pii,
        **({"widget": f.widget} if f.widget else {}),
        **{
            key: getattr(f, key)
            for key in ("min", "max", "min_length", "max_length", "pattern", "min_age", "max_age")
            if getattr(f, key) is not None
        },
        **({"must_be_true": True} if f.must_be_true else {}),
        **({"choices": [{"value": c.value, "label": c.label} for c in f.choices]} if f.choices else {}),
    }
