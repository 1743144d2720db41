"""Sections: groups of fields asked together (one step of a form, one topic of a
conversation), in the order the schema declares them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from applicants.schema.elements import Field

# Fields without a section form one step named after the schema.
DEFAULT_SECTION = "application"


@dataclass(frozen=True)
class Section:
    """A group of fields asked together (one step of a form, one topic of a conversation)."""

    name: str
    title: str
    help: str
    fields: tuple[Field, ...]


def default_title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def order_sections(
    fields: Sequence[Field], declared: Sequence[tuple[str, str, str]], schema_title: str
) -> tuple[Section, ...]:
    """Sections in order: those declared (name, title, help), then any other a field names,
    in the order of their first field. Empty sections are left out."""
    titles = {name: (title, help_) for name, title, help_ in declared}
    order = [name for name, _, _ in declared]
    for f in fields:
        name = f.section or DEFAULT_SECTION
        if name not in order:
            order.append(name)
    result = []
    for name in order:
        members = tuple(f for f in fields if (f.section or DEFAULT_SECTION) == name)
        if not members:
            continue
        fallback = schema_title if name == DEFAULT_SECTION else default_title(name)
        title, help_ = titles.get(name, (fallback, ""))
        result.append(Section(name=name, title=title, help=help_, fields=members))
    return tuple(result)
