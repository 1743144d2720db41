"""The application schema: a YAML file, named in settings, that declares every field.

Forms, API validation, the chatbot and voice prompts, the ETL and the model's feature list
all derive from it, so a deployment changes its application by editing data, not code.
A schema is checked strictly when loaded; a mistake raises SchemaError (an
ImproperlyConfigured) naming the file and the field, at start-up.

The package, by seam: elements.py (field types, choices, derived values, rules, features),
sections.py (sections and their order), application.py (ApplicationSchema), loading.py
(the YAML and its checks), configured.py (the schema settings name). Import from here.
"""

from __future__ import annotations

from applicants.schema.application import ApplicationSchema
from applicants.schema.configured import get_schema
from applicants.schema.elements import (
    FEATURE_TYPES,
    FIELD_TYPES,
    NUMERIC_TYPES,
    WIDGETS,
    Choice,
    Derived,
    Feature,
    Field,
    ReasonText,
    Rule,
    SchemaError,
    is_numeric,
)
from applicants.schema.loading import load_schema
from applicants.schema.sections import DEFAULT_SECTION, Section

__all__ = [
    "DEFAULT_SECTION",
    "FEATURE_TYPES",
    "FIELD_TYPES",
    "NUMERIC_TYPES",
    "WIDGETS",
    "ApplicationSchema",
    "Choice",
    "Derived",
    "Feature",
    "Field",
    "ReasonText",
    "Rule",
    "SchemaError",
    "Section",
    "get_schema",
    "is_numeric",
    "load_schema",
]
