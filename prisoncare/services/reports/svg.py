"""Horizontal bar charts as inline SVG, drawn on the server (no script, no
library, no internet). Pure: labels and values in, markup out."""
from markupsafe import Markup, escape

ROW, LABEL_W, BAR_W, PAD = 22, 190, 360, 6
BAND_FILL = {"low": "#f6d5d5", "medium": "#f7ecc8", "high": "#d8efd8"}


def bar_chart(title: str, bars: list[tuple[str, float | None]], *, unit: str = "",
              scale_max: float | None = None, bands=None) -> Markup:
    """`bars`: (label, value); None is drawn as "no data". `bands` (low_below,
    high_above) shade the guide's low / medium / high zones on a 0-100 scale."""
    values = [v for _, v in bars if v is not None]
    top = scale_max or (max(values) if values else 0) or 1
    height = ROW * len(bars) + 2 * PAD + 14
    width = LABEL_W + BAR_W + 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>"]
    if bands:
        zones = (("low", 0, bands[0]), ("medium", bands[0], bands[1]), ("high", bands[1], top))
        for level, lo, hi in zones:
            x = LABEL_W + BAR_W * lo / top
            w = max(BAR_W * (min(hi, top) - lo) / top, 0)
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height - 14}" '
                         f'fill="{BAND_FILL[level]}"><title>{level}</title></rect>')
    for i, (label, value) in enumerate(bars):
        y = PAD + i * ROW
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" '
                     f'font-size="12">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_W + 4}" y="{y + 15}" font-size="12" '
                         f'fill="#666">no data</text>')
            continue
        w = BAR_W * min(value, top) / top
        parts.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW - 6}" '
                     f'fill="#3b6ea5"></rect>')
        parts.append(f'<text x="{LABEL_W + w + 4:.1f}" y="{y + 15}" font-size="12">'
                     f'{escape(_fmt(value))}{escape(unit)}</text>')
    parts.append(f'<line x1="{LABEL_W}" y1="0" x2="{LABEL_W}" y2="{height - 14}" stroke="#333"/>')
    parts.append(f'<text x="{LABEL_W}" y="{height - 2}" font-size="10" fill="#555">0</text>')
    parts.append(f'<text x="{LABEL_W + BAR_W}" y="{height - 2}" font-size="10" fill="#555" '
                 f'text-anchor="end">{escape(_fmt(top))}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float) -> str:
    return f"{value:g}"
