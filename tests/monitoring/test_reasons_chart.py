"""The review item's reasons as bars (issue #15): one bar per reason, right when it raised the
risk and left when it lowered it, with a label that says the same in words."""

from __future__ import annotations

from monitoring.templatetags.chart_tags import reasons_chart


def test_reasons_draw_as_bars_either_side_of_zero_with_a_text_alternative():
    svg = str(
        reasons_chart(
            [
                {"feature": "debt_ratio", "label": "Debt to income", "contribution": 0.8},
                {"feature": "years_employed", "label": "Years employed", "contribution": -0.3},
            ]
        )
    )
    assert svg.count('class="bar-adverse"') == 1 and svg.count('class="bar-fair"') == 1
    assert 'role="img"' in svg and "Debt to income raises 0.80; Years employed lowers 0.30" in svg
    assert "style=" not in svg
    assert reasons_chart([]) == ""
