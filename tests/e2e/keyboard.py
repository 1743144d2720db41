"""Keyboard helpers shared by the browser tests that drive pages without the mouse."""

from __future__ import annotations

from typing import Any


def choose_option(page: Any, selector: str, label: str) -> None:
    """Pick, in the focused closed select, the option whose label starts with `label`.

    One key, then arrows: type-ahead restarts its search when keystrokes come more than a
    second apart (a loaded machine), so a whole typed word can land on another option. The
    first letter picks the first option starting with it; arrows walk on from there, each one
    a change the page may check, so the fewer the better."""
    page.keyboard.type(label[0])
    current = ""
    for _ in range(30):
        current = page.eval_on_selector(selector, "s => s.options[s.selectedIndex].text").strip()
        if current.startswith(label):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option of {selector} starts with {label!r} (stopped at {current!r})")
