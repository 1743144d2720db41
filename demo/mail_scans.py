"""Scans of paper application forms for the demo and the tests: the form's fields drawn on a
white page with Pillow, as PNG or as a one-page PDF. Not a real scanner's output; enough to
key from."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from applicants.schema import ApplicationSchema

PAGE = (850, 1100)


def render_form(
    schema: ApplicationSchema, answers: Mapping[str, Any], *, title: str, image_format: str = "PNG"
) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    try:
        font = ImageFont.load_default(size=17)
        small = ImageFont.load_default(size=13)
    except TypeError:  # an old Pillow without sized default fonts
        font = small = ImageFont.load_default()
    draw.text((40, 28), f"Application form · {title}", fill="black", font=font)
    draw.line((40, 56, PAGE[0] - 40, 56), fill="black", width=2)
    y = 70
    for section in schema.sections:
        draw.text((40, y), section.title.upper(), fill="#333", font=small)
        y += 20
        for field in section.fields:
            value = answers.get(field.name, "")
            if isinstance(value, bool):
                value = "[x] yes" if value else "[ ] no"
            draw.text((55, y), f"{field.label}:", fill="#444", font=small)
            draw.text((330, y - 2), str(value), fill="#1a237e", font=font)
            draw.line((325, y + 18, PAGE[0] - 40, y + 18), fill="#bbb", width=1)
            y += 24
            if y > PAGE[1] - 40:
                break
        y += 6
    out = io.BytesIO()
    page.save(out, format=image_format)
    return out.getvalue()
