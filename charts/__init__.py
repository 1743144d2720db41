"""Server-side SVG charts, shared by the monitoring dashboards, the model page and the review
item; a low layer that knows no app (pyproject.toml, [tool.importlinter]). No script, no
inline style (the CSP forbids both). Shapes carry classes that static/monitoring/monitoring.css
colours; every chart has a <title> and an aria-label, and the page puts a table or a sentence
beside it."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def _svg(label: str, body: list[str], *, width: int = WIDTH, height: int = HEIGHT) -> SafeString:
    return mark_safe(  # noqa: S308 (every piece below is escaped or a number)
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


# Shapes are drawn by the thousand (a year of daily bars): the standard library's escape, which
# gives the same text as Django's, without its lazy-string wrapper on every call.
def _rect(x: float, y: float, w: float, h: float, cls: str, tip: str = "") -> str:
    title = f"<title>{html.escape(tip)}</title>" if tip else ""
    return (
        f'<rect class="{html.escape(cls)}" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" '
        f'height="{max(h, 0):.1f}">{title}</rect>'
    )


def _text(x: float, y: float, text: str, cls: str = "axis", anchor: str = "start") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{html.escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, cls: str) -> str:
    return f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'


def _y_axis(top_value: float, fmt: str, plot_h: float) -> list[str]:
    out = []
    for share in (0, 0.5, 1):
        y = TOP + plot_h * (1 - share)
        out.append(_line(LEFT, y, WIDTH - RIGHT, y, "grid"))
        out.append(_text(LEFT - 6, y + 4, fmt.format(top_value * share), anchor="end"))
    return out


def _day_labels(days: Sequence[dt.date], x_of: Any) -> list[str]:
    if not days:
        return []
    step = max(1, len(days) // 6)
    return [
        _text(x_of(i), HEIGHT - 8, f"{d:%b %d}", anchor="middle") for i, d in enumerate(days) if i % step == 0
    ]


def stacked_bars(
    days: list[dict[str, Any]],
    keys: Sequence[str],
    *,
    classes: Sequence[str],
    value: Any,
    label: str,
    share: bool = False,
) -> SafeString:
    """One bar per day, stacked by keys; `share` scales each bar to 100%."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    totals = [sum(value(d, k) for k in keys) for d in days]
    top = 1.0 if share else max(totals or [0]) or 1
    slot = plot_w / max(len(days), 1)
    body = _y_axis(top, "{:.0%}" if share else "{:,.0f}", plot_h)
    for i, (day, total) in enumerate(zip(days, totals, strict=True)):
        y = TOP + plot_h
        for key, cls in zip(keys, classes, strict=True):
            v = value(day, key)
            h = plot_h * ((v / total if total else 0) if share else v / top)
            y -= h
            body.append(
                _rect(
                    LEFT + i * slot + slot * 0.1, y, slot * 0.8, h, cls, f"{day['day']:%Y-%m-%d} {key}: {v:,}"
                )
            )
    body += _day_labels([d["day"] for d in days], lambda i: LEFT + (i + 0.5) * slot)
    return _svg(label, body)


def heatmap(grid: dict[str, Any], *, label: str, shown_as: dict[str, str] | None = None) -> SafeString:
    """Feature x day, each cell coloured by its PSI band (stable, watch, act, no data);
    `shown_as` renames rows (the score's internal feature name, say). A grid whose `unit` is
    "week" has a column per week (its Monday), each cell the week's highest daily PSI, and
    `measured`: the days of each week that had a PSI."""
    features, days = grid["features"], grid["days"]
    weekly = grid.get("unit") == "week"
    row_h, name_w = 18, 170
    width = max(WIDTH, name_w + 8 * len(days) + RIGHT)
    cell_w = (width - name_w - RIGHT) / max(len(days), 1)
    height = TOP + row_h * len(features) + BOTTOM
    body = []
    for r, feature in enumerate(features):
        y = TOP + r * row_h
        name = (shown_as or {}).get(feature, feature)
        body.append(_text(name_w - 6, y + row_h - 5, name, anchor="end"))
        for c, day in enumerate(days):
            value = grid["cells"][feature].get(day)
            band = psi_band(value, grid["watch"], grid["act"])
            if weekly:
                n = grid["measured"][feature].get(day, 0)
                tip = f"{name} week of {day:%Y-%m-%d}: " + (
                    "too few rows" if value is None else f"highest daily PSI {value:.3f} ({n} days measured)"
                )
            else:
                tip = f"{name} {day:%Y-%m-%d}: " + ("too few rows" if value is None else f"PSI {value:.3f}")
            body.append(_rect(name_w + c * cell_w, y, cell_w - 1, row_h - 2, f"psi-{band}", tip))
    step = max(1, len(days) // 6)
    body += [
        _text(name_w + (i + 0.5) * cell_w, height - 8, f"{d:%b %d}", anchor="middle")
        for i, d in enumerate(days)
        if i % step == 0
    ]
    return _svg(label, body, width=int(width), height=height)


def psi_band(value: float | None, watch: float, act: float) -> str:
    if value is None:
        return "none"
    return "act" if value >= act else "watch" if value >= watch else "stable"


def lines(
    points: dict[str, list[tuple[dt.date, float | None]]],
    *,
    classes: dict[str, str],
    reference: float | None,
    label: str,
    top: float = 1.0,
    bottom: float = 0.0,
    fmt: str = "{:.2f}",
) -> SafeString:
    """Series over time (days, weeks or months) with an optional dashed reference line (the
    training figure); `fmt` writes the values of the y axis (a share: "{:.0%}")."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    xs = sorted({d for series in points.values() for d, _ in series})
    span = (top - bottom) or 1

    inner = plot_w - 40  # room for the last date's label

    def x_of(i: int) -> float:
        return LEFT + 20 + (inner * i / max(len(xs) - 1, 1) if len(xs) > 1 else inner / 2)

    def y_of(v: float) -> float:
        return TOP + plot_h * (1 - (v - bottom) / span)

    body = []
    for share in (0, 0.5, 1):
        v = bottom + span * share
        body += [
            _line(LEFT, y_of(v), WIDTH - RIGHT, y_of(v), "grid"),
            _text(LEFT - 6, y_of(v) + 4, fmt.format(v), anchor="end"),
        ]
    if reference is not None:
        body.append(_line(LEFT, y_of(reference), WIDTH - RIGHT, y_of(reference), "reference"))
        body.append(_text(WIDTH - RIGHT, y_of(reference) - 4, f"at training {reference:.3f}", "axis", "end"))
    for name, series in points.items():
        coords = [(x_of(xs.index(d)), y_of(v)) for d, v in series if v is not None]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(f'<polyline class="{escape(classes[name])}" points="{path}"/>')
        body += [
            f'<circle class="{escape(classes[name])}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in coords
        ]
    body += [
        _text(x_of(i), HEIGHT - 8, f"{d:%b %d}", anchor="middle")
        for i, d in enumerate(xs)
        if i % max(1, len(xs) // 6) == 0
    ]
    return _svg(label, body)


def group_bars(groups: list[dict[str, Any]], *, floor: float, label: str) -> SafeString:
    """Favourable rate per group (horizontal bars); the reference group's rate x floor marked
    (a bar left of the mark fails the four-fifths rule). Too-small groups get a note."""
    row_h, name_w = 22, 110
    plot_w = WIDTH - name_w - 120
    height = TOP + row_h * len(groups) + 8
    ref = next((g for g in groups if g.get("reference")), None)
    body = []
    for r, g in enumerate(groups):
        y = TOP + r * row_h
        body.append(_text(name_w - 6, y + 15, g["group"], anchor="end"))
        if g["too_small"]:
            body.append(_text(name_w, y + 15, f"too small to show ({g['n']})", "note"))
            continue
        cls = "bar-adverse" if g["adverse"] else "bar-fair"
        body.append(
            _rect(
                name_w,
                y + 3,
                plot_w * g["rate"],
                row_h - 6,
                cls,
                f"{g['group']}: {g['rate']:.1%} favourable of {g['n']:,}",
            )
        )
        ratio = "reference" if g.get("reference") else f"ratio {g['ratio']:.2f}"
        body.append(_text(name_w + plot_w * g["rate"] + 6, y + 15, f"{g['rate']:.0%} ({ratio})", "value"))
    if ref is not None:
        x = name_w + plot_w * ref["rate"] * floor
        body.append(_line(x, TOP - 4, x, height - 4, "reference"))
    return _svg(label, body, height=height)


def _curve_plot(
    size: int, *, x_title: str, y_title: str, diagonal: bool
) -> tuple[list[str], Callable[[float], float], Callable[[float], float], float]:
    """The unit square of the curve charts (calibration, ROC, reliability): grid and ticks at
    0, 0.5 and 1 on both axes, the dashed diagonal if asked, the axis titles. Returns the body
    so far, x_of and y_of (values clamped to [0, 1]) and the picture's height."""
    pad, top_pad, bottom_pad = LEFT, TOP, BOTTOM + 12
    plot = size - pad - RIGHT
    height = top_pad + plot + bottom_pad

    def x_of(v: float) -> float:
        return pad + plot * min(max(v, 0.0), 1.0)

    def y_of(v: float) -> float:
        return top_pad + plot * (1 - min(max(v, 0.0), 1.0))

    body: list[str] = []
    for tick in (0.0, 0.5, 1.0):
        body += [
            _line(pad, y_of(tick), pad + plot, y_of(tick), "grid"),
            _text(pad - 6, y_of(tick) + 4, f"{tick:.1f}", anchor="end"),
            _text(x_of(tick), top_pad + plot + 14, f"{tick:.1f}", anchor="middle"),
        ]
    if diagonal:
        body.append(_line(x_of(0), y_of(0), x_of(1), y_of(1), "reference"))
    body.append(_text(pad + plot / 2, height - 4, x_title, anchor="middle"))
    body.append(_text(pad + 4, top_pad + 10, y_title, "axis"))
    return body, x_of, y_of, height


def calibration_curve(points: list[dict[str, Any]], *, label: str, size: int = 300) -> SafeString:
    """Predicted P(high) against the observed (weighted) share of high final tiers, one dot
    per probability bin sized by its labels; the diagonal is perfect calibration."""
    body, x_of, y_of, height = _curve_plot(
        size, x_title="predicted P(high)", y_title="observed share high", diagonal=True
    )
    coords = [(x_of(p["predicted"]), y_of(p["observed"]), p) for p in points]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
        body.append(f'<polyline class="line-weighted" points="{path}"/>')
    most = max((p["n"] for p in points), default=1) or 1
    for x, y, p in coords:
        tip = f"predicted {p['predicted']:.2f}, observed {p['observed']:.2f}, {p['n']:,} labels"
        radius = 3 + 4 * (p["n"] / most) ** 0.5
        body.append(
            f'<circle class="line-weighted" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    return _svg(label, body, width=size, height=int(height))


def confusion_heatmap(
    matrix: Sequence[Sequence[int]],
    *,
    label: str,
    rows: Sequence[str],
    columns: Sequence[str],
    row_title: str = "model tier",
    column_title: str = "final tier",
) -> SafeString:
    """A table of counts as a heat map: each cell shaded by its share of the row (how the
    labels of one model tier ended), the diagonal (agreement) outlined."""
    cell, name_w, head_h = 72, 90, 40
    width = name_w + cell * len(columns) + RIGHT
    height = head_h + cell * len(rows) + 8
    body = [_text(name_w + cell * len(columns) / 2, 12, column_title, anchor="middle")]
    body += [
        _text(name_w + (c + 0.5) * cell, head_h - 8, name, "value", "middle")
        for c, name in enumerate(columns)
    ]
    body.append(_text(4, head_h - 8, row_title, "axis"))
    for r, (name, counts) in enumerate(zip(rows, matrix, strict=True)):
        y = head_h + r * cell
        total = sum(counts)
        body.append(_text(name_w - 8, y + cell / 2 + 4, name, "value", "end"))
        for c, count in enumerate(counts):
            share = count / total if total else 0.0
            band = min(int(share * 5), 4) if count else "none"
            classes = f"conf-{band}" + (" conf-diag" if r == c else "")
            tip = f"model {name}, final {columns[c]}: {count:,}" + (
                f" ({share:.0%} of the row)" if total else ""
            )
            body.append(_rect(name_w + c * cell, y, cell - 2, cell - 2, classes, tip))
            body.append(_text(name_w + (c + 0.5) * cell, y + cell / 2, f"{count:,}", "cell", "middle"))
            if total:
                body.append(
                    _text(name_w + (c + 0.5) * cell, y + cell / 2 + 14, f"{share:.0%}", "cell", "middle")
                )
    return _svg(label, body, width=int(width), height=int(height))


def curves(
    series: Sequence[dict[str, Any]],
    *,
    label: str,
    x_title: str,
    y_title: str,
    diagonal: bool = True,
    size: int = 300,
) -> SafeString:
    """Several curves on the same unit square, e.g. ROC or reliability curves of this model,
    the baseline and the active model. Each series: name, cls (a CSS class that colours its
    stroke) and points [(x, y), ...]; the dashed diagonal is chance (ROC) or perfect
    calibration (reliability)."""
    body, x_of, y_of, height = _curve_plot(size, x_title=x_title, y_title=y_title, diagonal=diagonal)
    for s in series:
        coords = [(x_of(x), y_of(y)) for x, y in s["points"] if x is not None and y is not None]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(
                f'<polyline class="{escape(s["cls"])}" points="{path}">'
                f"<title>{escape(s['name'])}</title></polyline>"
            )
        elif coords:
            x, y = coords[0]
            body.append(f'<circle class="{escape(s["cls"])}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
    return _svg(label, body, width=size, height=int(height))


def distribution(
    edges: Sequence[float], series: Sequence[dict[str, Any]], *, label: str, x_title: str
) -> SafeString:
    """Histograms of one score for several groups, side by side in each bin, each bar the
    group's share of its own rows (groups of very different sizes stay comparable). Each
    series: name, cls (a fill class), counts (one per bin)."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM - 12, WIDTH - LEFT - RIGHT
    bins = max(len(edges) - 1, 1)
    shares = []
    for s in series:
        total = sum(s["counts"]) or 1
        shares.append([c / total for c in s["counts"]])
    top = max((v for row in shares for v in row), default=0) or 1
    body = []
    for share in (0, 0.5, 1):
        y = TOP + plot_h * (1 - share)
        body.append(_line(LEFT, y, WIDTH - RIGHT, y, "grid"))
        body.append(_text(LEFT - 6, y + 4, f"{top * share:.0%}", anchor="end"))
    slot = plot_w / bins
    bar = slot * 0.8 / max(len(series), 1)
    for k, (s, row) in enumerate(zip(series, shares, strict=True)):
        for i, v in enumerate(row):
            h = plot_h * v / top
            tip = f"{s['name']}, {edges[i]:.2f} to {edges[i + 1]:.2f}: {s['counts'][i]:,} rows ({v:.0%})"
            body.append(
                _rect(LEFT + i * slot + slot * 0.1 + k * bar, TOP + plot_h - h, bar, h, s["cls"], tip)
            )
    step = max(1, bins // 5)
    body += [
        _text(LEFT + i * slot, TOP + plot_h + 14, f"{edges[i]:.1f}", anchor="middle")
        for i in range(0, bins + 1, step)
    ]
    body.append(_text(LEFT + plot_w / 2, HEIGHT - 2, x_title, anchor="middle"))
    return _svg(label, body)


def contributions(items: Sequence[dict[str, Any]], *, label: str) -> SafeString:
    """A waterfall-like bar per reason: to the right when it raised the risk, to the left when
    it lowered it, on a shared zero line. Each item: name, value (signed contribution)."""
    row_h, name_w, value_w = 22, 230, 60
    plot_w = WIDTH - name_w - value_w - RIGHT
    zero = name_w + plot_w / 2
    height = TOP + row_h * max(len(items), 1) + 8
    most = max((abs(float(i["value"])) for i in items), default=0) or 1
    body = [_line(zero, TOP - 4, zero, height - 4, "grid")]
    for r, item in enumerate(items):
        y = TOP + r * row_h
        v = float(item["value"])
        w = plot_w / 2 * abs(v) / most
        body.append(_text(name_w - 6, y + 15, str(item["name"])[:38], anchor="end"))
        cls = "bar-adverse" if v > 0 else "bar-fair"
        tip = f"{item['name']}: {'raises' if v > 0 else 'lowers'} the risk by {abs(v):.2f}"
        body.append(_rect(zero if v > 0 else zero - w, y + 3, w, row_h - 6, cls, tip))
        body.append(_text(WIDTH - RIGHT, y + 15, f"{v:+.2f}", "value", "end"))
    return _svg(label, body, height=height)
