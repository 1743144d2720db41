"""The values scan finds a person's values however they are written (so a clean log scan
means something), and leaves other text alone."""

from privacy.matching import REDACTED, PersonalValues

PERSON = {
    "full_name": "Wilhelmina Zorgblatt",
    "national_id": "WZ-583920-K",
    "email": "w.zorgblatt@mailbox.example",
    "phone": "+44 20 7946 0587",
    "date_of_birth": "1981-07-29",
    "address": "42 Plover Crescent, Fenwick",
    "postcode": "FN7 3QP",
}


def test_each_value_is_found_in_the_forms_people_write_it():
    values = PersonalValues([PERSON])
    for text in (
        "id wz583920k",
        "ID WZ 583920 K",
        "wz-583920-k",
        "call 020 7946 0587",
        "+442079460587",
        "born 29/07/1981",
        "dob 19810729",
        "07-29-1981",
        "W.Zorgblatt@MAILBOX.example",
        "user w.zorgblatt",
        "ms zorgblatt said",
        "WILHELMINA",
        "42 plover  crescent, fenwick",
        "fn7 3qp",
        "FN73QP",
    ):
        assert values.found_in(text), text


def test_other_text_is_left_alone_and_scrubbing_keeps_the_rest():
    values = PersonalValues([PERSON])
    for text in (
        "application 3f1e status scored",
        "income 52000",
        "2026-11-28 17:30:12",
        "Plover",
        "reason income_unverified",
    ):
        assert not values.found_in(text), text
    assert (
        values.scrub("Spoke to Wilhelmina Zorgblatt on +44 20 7946 0587, all fine")
        == f"Spoke to {REDACTED} on {REDACTED}, all fine"
    )
    assert not PersonalValues([{}])
