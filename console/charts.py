"""Server-rendered SVG bar charts: geometry only, from figures the reports returned.

Each bar keeps its exact value (minor units or a report's percent text) beside its height, so
the page shows the report's own number and a test can read it back from the SVG."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CHART_WIDTH = 640
CHART_HEIGHT = 220
PLOT_TOP = 20
PLOT_BOTTOM = 40  # room for the labels under the bars
MAX_BARS = 62  # two months of days


# (label, magnitude for the bar's height, the figure as text, a link or "")
Point = tuple[str, Decimal, str, str]


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: str  # the figure as the report states it ("1234.50", "45.2")
    x: float
    y: float
    width: float
    height: float
    href: str = ""


@dataclass(frozen=True, slots=True)
class BarChart:
    chart_id: str
    title: str
    unit: str
    bars: tuple[Bar, ...]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - PLOT_BOTTOM


def bar_chart(
    chart_id: str,
    title: str,
    unit: str,
    points: list[Point],
) -> BarChart:
    """points: (label, magnitude for the height, value text, link or ""); the last MAX_BARS."""
    shown = points[-MAX_BARS:]
    top = max((p[1] for p in shown), default=Decimal(0))
    plot_height = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    slot = CHART_WIDTH / max(len(shown), 1)
    bars = []
    for i, point in enumerate(shown):
        label, magnitude, text, href = point
        height = float(magnitude / top * plot_height) if top > 0 and magnitude > 0 else 0.0
        bars.append(
            Bar(
                label=label,
                value=text,
                x=round(i * slot + slot * 0.15, 1),
                y=round(CHART_HEIGHT - PLOT_BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                href=href,
            )
        )
    return BarChart(chart_id, title, unit, tuple(bars))
