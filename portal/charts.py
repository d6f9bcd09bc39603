"""Server-rendered inline SVG charts (no JS library, no CDN): each chart also carries its table.

A `Chart` is what the dashboard and the data page show: a title, the table (columns and rows, also
exported as CSV) and the SVG drawn from the plotted numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T = 640, 220, 44, 28, 12
BAR, LINE, MUTED = "#e02e24", "#2563eb", "#9ca3af"


@dataclass
class Chart:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    svg: SafeString = mark_safe("")
    note: str = ""
    empty: bool = False  # nothing to plot in the period


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def bars_and_line(labels: list[str], bars: list[float], line: list[float] | None = None, *, title: str) -> SafeString:
    """Vertical bars (left scale) and an optional line (own scale) over categorical x labels."""
    n = max(len(labels), 1)
    plot_w, plot_h = WIDTH - PAD_L - 8, HEIGHT - PAD_B - PAD_T
    slot = plot_w / n
    top = max(bars + [1])
    rects = [
        (
            f"{PAD_L + i * slot + slot * 0.15:.1f}",
            f"{PAD_T + plot_h - v / top * plot_h:.1f}",
            f"{max(slot * 0.7, 1):.1f}",
            f"{v / top * plot_h:.1f}",
            f"{labels[i]}: {_num(v)}",
        )
        for i, v in enumerate(bars)
    ]
    parts = [
        format_html_join(
            "",
            '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="' + BAR + '"><title>{}</title></rect>',
            rects,
        )
    ]
    if line:
        line_top = max(line + [1])
        points = " ".join(
            f"{PAD_L + i * slot + slot / 2:.1f},{PAD_T + plot_h - v / line_top * plot_h:.1f}"
            for i, v in enumerate(line)
        )
        parts.append(
            format_html('<polyline class="line" points="{}" fill="none" stroke="{}" stroke-width="2"/>', points, LINE)
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" fill="{}" text-anchor="end">{}</text>',
                WIDTH - 8,
                PAD_T + 8,
                LINE,
                _num(line_top),
            )
        )
    step = max(1, n // 8)
    ticks = [(f"{PAD_L + i * slot + slot / 2:.1f}", HEIGHT - 8, labels[i]) for i in range(0, len(labels), step)]
    parts.append(
        format_html_join("", '<text x="{}" y="{}" font-size="10" fill="#6b7280" text-anchor="middle">{}</text>', ticks)
    )
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="10" fill="#6b7280" text-anchor="end">{}</text>',
            PAD_L - 4,
            PAD_T + 8,
            _num(top),
        )
    )
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="10" fill="#6b7280" text-anchor="end">0</text>', PAD_L - 4, PAD_T + plot_h
        )
    )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            PAD_L,
            PAD_T + plot_h,
            WIDTH - 8,
            PAD_T + plot_h,
            MUTED,
        )
    )
    return _svg(title, mark_safe("".join(parts)), HEIGHT)


def lines(labels: list[str], series: list[tuple[str, list[float | None]]], *, title: str, top: float) -> SafeString:
    """One polyline per named series on a shared scale 0..top (gaps where a value is None)."""
    n = max(len(labels), 1)
    plot_w, plot_h = WIDTH - PAD_L - 8, HEIGHT - PAD_B - PAD_T
    slot = plot_w / n
    colours = [BAR, LINE, "#16a34a", "#d97706"]
    parts = []
    for index, (name, values) in enumerate(series):
        colour = colours[index % len(colours)]
        points = " ".join(
            f"{PAD_L + i * slot + slot / 2:.1f},{PAD_T + plot_h - v / top * plot_h:.1f}"
            for i, v in enumerate(values)
            if v is not None
        )
        parts.append(
            format_html(
                '<polyline class="line" points="{}" fill="none" stroke="{}" stroke-width="2"><title>{}</title></polyline>'
                '<text x="{}" y="{}" font-size="11" fill="{}">{}</text>',
                points,
                colour,
                name,
                PAD_L + 8 + index * 110,
                PAD_T + 10,
                colour,
                name,
            )
        )
    step = max(1, n // 8)
    ticks = [(f"{PAD_L + i * slot + slot / 2:.1f}", HEIGHT - 8, labels[i]) for i in range(0, len(labels), step)]
    parts.append(
        format_html_join("", '<text x="{}" y="{}" font-size="10" fill="#6b7280" text-anchor="middle">{}</text>', ticks)
    )
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="10" fill="#6b7280" text-anchor="end">{}</text>',
            PAD_L - 4,
            PAD_T + 8,
            _num(top),
        )
    )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            PAD_L,
            PAD_T + plot_h,
            WIDTH - 8,
            PAD_T + plot_h,
            MUTED,
        )
    )
    return _svg(title, mark_safe("".join(parts)), HEIGHT)


def hbars(labels: list[str], values: list[float], *, title: str, suffix: str = "") -> SafeString:
    """Horizontal bars, one per label (funnels, rates, reasons)."""
    row_h, label_w = 26, 150
    height = max(len(labels), 1) * row_h + 8
    top = max(values + [1])
    usable = WIDTH - label_w - 70
    rows = [
        (
            4 + i * row_h + 16,
            label,
            label_w,
            4 + i * row_h + 4,
            f"{max(v / top * usable, 0.5):.1f}",
            BAR,
            label_w + max(v / top * usable, 0.5) + 6,
            4 + i * row_h + 16,
            f"{_num(v)}{suffix}",
        )
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    ]
    body = format_html_join(
        "",
        '<text x="4" y="{}" font-size="12" fill="#374151">{}</text>'
        '<rect class="bar" x="{}" y="{}" width="{}" height="18" fill="{}"/>'
        '<text x="{}" y="{}" font-size="11" fill="#374151">{}</text>',
        rows,
    )
    return _svg(title, body, height)


def _svg(title: str, body: SafeString, height: int) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        title,
        WIDTH,
        height,
        title,
        body,
    )
