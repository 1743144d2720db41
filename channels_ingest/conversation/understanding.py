"""What a turn is: a command, a correction, a question, or answers (one or several).

Kept apart from the engine so it can be tested and measured on labelled utterances alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _field

from rapidfuzz import fuzz, process

from applicants.schema import NUMERIC_TYPES, ApplicationSchema
from channels_ingest.conversation.parsing import amounts, normalise, parse_choice
from channels_ingest.conversation.vocabulary import FieldWords, cue_pattern

COMMANDS: dict[str, tuple[str, ...]] = {
    "back": ("back", "go back", "previous", "previous question", "undo", "last question"),
    "help": (
        "help",
        "what do you mean",
        "i don't understand",
        "i dont understand",
        "explain",
        "help me",
        "what does that mean",
    ),
    "start_over": (
        "start over",
        "restart",
        "start again",
        "reset",
        "begin again",
        "start from the beginning",
        "from the top",
    ),
    "summary": (
        "summary",
        "show my answers",
        "my answers",
        "what have i said",
        "review",
        "read back",
        "what do you have so far",
        "what have you got",
    ),
    "agent": (
        "agent",
        "talk to a person",
        "speak to a person",
        "human",
        "operator",
        "representative",
        "talk to someone",
        "speak to someone",
        "real person",
        "a person please",
        "talk to a human",
        "speak to a human",
        "person",
    ),
    "stop": (
        "stop",
        "quit",
        "cancel",
        "exit",
        "bye",
        "goodbye",
        "end",
        "i'm done",
        "im done",
        "finish later",
        "that's all",
        "thats all",
    ),
}
_COMMAND_PHRASES = {phrase: name for name, phrases in COMMANDS.items() for phrase in phrases}
_QUESTION_WORDS = {
    "what",
    "how",
    "when",
    "why",
    "where",
    "who",
    "can",
    "could",
    "do",
    "does",
    "is",
    "are",
    "will",
    "which",
    "should",
    "would",
    "may",
    "whats",
    "what's",
}
_CORRECTION = re.compile(
    r"^(?:please\s+|actually\s+|sorry\s+|oops\s+)*(?:can you\s+|could you\s+)?"
    r"(?:change|correct|update|set|make|fix|alter)\s+(?:my|the)?\s*(?P<field>.+?)\s+"
    r"(?:to|is|=|should be|as)\s+(?P<value>.+)$",
    re.IGNORECASE,
)
_ACTUALLY = re.compile(
    r"^(?:actually|sorry|oops|no)[,\s]+(?:my|the)\s+(?P<field>.+?)\s+"
    r"(?:is|was|should be)\s+(?P<value>.+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    kind: str  # command, correction, question, answer
    command: str = ""
    field: str = ""  # a correction's field
    value: str = ""  # a correction's value
    answers: dict[str, str] = _field(default_factory=dict)  # field -> its part of the sentence


def command_in(text: str) -> str:
    """The command the whole message is, or ""."""
    said = normalise(text)
    if not said:
        return ""
    said = said.removesuffix(" please").removesuffix(" now")
    if said in _COMMAND_PHRASES:
        return _COMMAND_PHRASES[said]
    for prefix in ("please ", "can i ", "i want to ", "i'd like to ", "id like to ", "let me "):
        if said.startswith(prefix) and said[len(prefix) :] in _COMMAND_PHRASES:
            return _COMMAND_PHRASES[said[len(prefix) :]]
    if len(said.split()) <= 6:
        best = process.extractOne(said, list(_COMMAND_PHRASES), scorer=fuzz.ratio, score_cutoff=88)
        if best:
            return _COMMAND_PHRASES[best[0]]
        if re.search(r"\b(?:talk|speak)\s+to\s+(?:a|an|some)\s*(?:one|body|person|human|agent)\b", said):
            return "agent"
    return ""


def field_named(phrase: str, words: dict[str, FieldWords]) -> str:
    """The field a phrase names ("income", "my salary", "the term"), or ""."""
    said = normalise(phrase)
    candidates = {name: field_name for field_name, w in words.items() for name in w.names}
    if said in candidates:
        return candidates[said]
    best = process.extractOne(said, list(candidates), scorer=fuzz.WRatio, score_cutoff=80)
    return candidates[best[0]] if best else ""


def looks_like_question(text: str) -> bool:
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    words = normalise(stripped).split()
    return len(words) >= 3 and words[0] in _QUESTION_WORDS


def cued_answers(text: str, schema: ApplicationSchema, words: dict[str, FieldWords]) -> dict[str, str]:
    """Values introduced by a field's cue in a sentence: "I earn 45k and want 10k over 3 years"
    -> {annual_income: "45k", requested_amount: "10k", term_months: "3 years"}. Only number
    and choice fields are read this way; each value is the text from its cue to the next."""
    hits: list[tuple[int, int, str]] = []
    for name, w in words.items():
        spec = schema.by_name[name]
        if spec.type not in (*NUMERIC_TYPES, "choice"):
            continue
        for cue in w.cues:
            for match in cue_pattern(cue).finditer(text):
                hits.append((match.start(), match.end(), name))
    hits.sort()
    found: dict[str, str] = {}
    for index, (_, end, name) in enumerate(hits):
        if name in found:
            continue
        stop = next((start for start, _, _ in hits[index + 1 :] if start >= end), len(text))
        part = text[end:stop].strip(" ,.;:")
        part = re.sub(r"\s+(?:and|&)$", "", part).strip()
        spec = schema.by_name[name]
        readable = (
            amounts(part)
            if spec.type in NUMERIC_TYPES
            else parse_choice(spec, part, unit=words[name].unit) is not None
        )
        if readable:
            found[name] = part
    return found


def understand(
    text: str, schema: ApplicationSchema, words: dict[str, FieldWords], *, pending: str
) -> Reading:
    """Classify one message. Answers are the cued values, plus the whole text for the
    pending question when no cue claimed it."""
    command = command_in(text)
    if command:
        return Reading(kind="command", command=command)
    for pattern in (_CORRECTION, _ACTUALLY):
        if match := pattern.match(text.strip()):
            name = field_named(match.group("field"), words)
            if name:
                return Reading(kind="correction", field=name, value=match.group("value").strip())
    if looks_like_question(text):
        return Reading(kind="question")
    answers = cued_answers(text, schema, words)
    if pending and pending not in answers:
        if not answers:
            answers = {pending: text}
        elif (
            (lead := _lead(text, words, schema))
            and schema.by_name[pending].type in NUMERIC_TYPES
            and amounts(lead)
        ):
            answers = {pending: lead, **answers}  # "52,000, and I want 10k": the first is for now
    return Reading(kind="answer", answers=answers)


def _lead(text: str, words: dict[str, FieldWords], schema: ApplicationSchema) -> str:
    starts = [
        m.start() for name, w in words.items() for cue in w.cues for m in cue_pattern(cue).finditer(text)
    ]
    return text[: min(starts)].strip(" ,.;:") if starts else ""
