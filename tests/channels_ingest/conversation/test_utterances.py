"""Each turn classified as answer, question, command or correction: a labelled set of
utterances (with the question pending when each was said) and the share classified right."""

from __future__ import annotations

from applicants.schema import get_schema
from channels_ingest.conversation.understanding import understand
from channels_ingest.conversation.vocabulary import words_for

A, Q, C, X = "answer", "question", "command", "correction"
LABELLED: list[tuple[str, str, str]] = [
    # (pending field, what was said, its kind)
    *[
        ("full_name", s, A)
        for s in (
            "Jane Example",
            "my name is Jane Example",
            "John Smith",
            "it's Ana María López",
            "Dr. Sam O'Neil",
        )
    ],
    *[
        ("date_of_birth", s, A)
        for s in (
            "23rd April 1986",
            "23/04/1986",
            "1986-04-23",
            "April 23, 1986",
            "the 5th of May 1990",
            "5 may 90",
        )
    ],
    *[("national_id", s, A) for s in ("AB-123456-C", "QQ 12 34 56 C", "X1234567")],
    *[("email", s, A) for s in ("jane@example.com", "it's sam.o@example.org")],
    *[("phone", s, A) for s in ("+44 20 7946 0000", "07700 900123", "my mobile is 07700900123")],
    *[("address", s, A) for s in ("1 Example Street, Exampletown", "Flat 2, 10 High Road")],
    *[("postcode", s, A) for s in ("EX1 2MP", "SW1A 1AA")],
    *[
        ("employment_status", s, A)
        for s in ("employed full time", "self employed", "1", "retired", "I'm a student", "contractor")
    ],
    *[("employer", s, A) for s in ("Example Ltd", "skip", "I work for Acme")],
    *[("years_employed", s, A) for s in ("six", "6 years", "about 2", "none")],
    *[
        ("annual_income", s, A)
        for s in (
            "£54,000",
            "54k",
            "forty five thousand",
            "I earn 38,500",
            "52 thousand a year",
            "about 60k before tax",
        )
    ],
    *[("monthly_housing_cost", s, A) for s in ("1,100", "£950 a month", "nothing", "800")],
    *[("monthly_debt_payments", s, A) for s in ("350", "350 pounds", "zero", "about 200")],
    *[("existing_credit_lines", s, A) for s in ("3", "three", "two cards and a loan")],
    *[("delinquencies_2y", s, A) for s in ("0", "none", "once", "never")],
    *[("credit_history_years", s, A) for s in ("eleven", "11", "not sure")],
    *[("requested_amount", s, A) for s in ("12k", "£12,000", "ten thousand", "I want 5000")],
    *[("term_months", s, A) for s in ("36", "3 years", "48 months", "five years")],
    *[("loan_purpose", s, A) for s in ("home improvements", "a car", "holiday", "weding")],
    *[("consent", s, A) for s in ("yes", "I agree", "yes I do", "no")],
    *[
        ("full_name", s, A)
        for s in ("I earn 45k and want 10k over 3 years", "I make 50000 and would like to borrow 8000")
    ],
    # questions
    *[
        (p, s, Q)
        for p, s in (
            ("full_name", "what interest rate will I get?"),
            ("annual_income", "how long does it take?"),
            ("annual_income", "is this a hard credit check?"),
            ("email", "what do you do with my information"),
            ("requested_amount", "how much can I borrow?"),
            ("term_months", "can I repay early?"),
            ("phone", "why do you need my phone number?"),
            ("consent", "will this affect my credit score?"),
            ("full_name", "are you a real person?"),
            ("employer", "what counts as an employer?"),
            ("date_of_birth", "do I need to be 18?"),
            ("address", "can I save and come back later"),
            ("annual_income", "should I include bonuses?"),
            ("postcode", "what's the APR?"),
            ("loan_purpose", "which purposes are allowed?"),
            ("national_id", "where do I find my ID number?"),
            ("years_employed", "what if I just started?"),
            ("requested_amount", "what is the maximum loan"),
            ("monthly_housing_cost", "does council tax count?"),
            ("consent", "who sees my answers?"),
        )
    ],
    # commands
    *[
        (p, s, C)
        for p, s in (
            ("date_of_birth", "back"),
            ("email", "go back"),
            ("phone", "previous question"),
            ("annual_income", "help"),
            ("term_months", "Help!"),
            ("employer", "I don't understand"),
            ("postcode", "start over"),
            ("address", "restart"),
            ("consent", "start again"),
            ("loan_purpose", "summary"),
            ("email", "show my answers"),
            ("phone", "what have i said"),
            ("full_name", "agent"),
            ("annual_income", "talk to a person"),
            ("requested_amount", "can I speak to someone"),
            ("date_of_birth", "human please"),
            ("employer", "stop"),
            ("annual_income", "quit"),
            ("term_months", "cancel"),
            ("postcode", "finish later"),
            ("consent", "operator"),
            ("email", "I want to talk to a human"),
        )
    ],
    # corrections
    *[
        (p, s, X)
        for p, s in (
            ("employer", "change my income to 52,000"),
            ("postcode", "change my name to Jane Other"),
            ("consent", "change the term to 48 months"),
            ("phone", "update my email to j@example.com"),
            ("annual_income", "change my date of birth to 23 April 1986"),
            ("loan_purpose", "actually my salary is 52k"),
            ("term_months", "correct the amount to 9000"),
            ("consent", "set my rent to 900"),
            ("address", "change my postcode to EX1 2MP"),
            ("employer", "please change my employment status to retired"),
            ("consent", "change loan purpose to car"),
            ("email", "sorry, my phone number is 07700900999"),
        )
    ],
]


def classify(pending: str, text: str) -> str:
    schema = get_schema()
    return understand(text, schema, words_for(schema), pending=pending).kind


def test_the_set_is_large_and_balanced() -> None:
    kinds = [kind for _, _, kind in LABELLED]
    assert len(LABELLED) >= 100
    assert {kinds.count(k) for k in (Q, C, X)} and min(kinds.count(k) for k in (Q, C, X)) >= 12


def test_classification_accuracy() -> None:
    wrong = [
        (pending, text, kind, got)
        for pending, text, kind in LABELLED
        if (got := classify(pending, text)) != kind
    ]
    accuracy = 1 - len(wrong) / len(LABELLED)
    print(f"\nutterances: {len(LABELLED)}, accuracy {accuracy:.1%}, wrong: {wrong}")
    assert accuracy >= 0.95, wrong
