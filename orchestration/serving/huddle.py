"""The weekly huddle report: one static, self-contained HTML page (inline SVG charts, no
scripts, no links out) for the Monday huddle of the billing office (playbook: "wins first,
slips second, one change for next week").

The numbers and the rules come from the warehouse: `rpt_huddle` (dbt) decides which KPI is a
win, a slip or flat and which slip is the suggested change; `rpt_weekly_scorecard` gives each
KPI's trend. This module only reads them from the serving file (`read_huddle`) and renders
them (`render_huddle`, a pure function: data in, HTML string out). The page carries
aggregates only: no guarantor, name, phone or per-person amount.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

# Plain-English KPI names for the page (keys: seeds/scorecard_kpis.csv); unknown KPIs fall
# back to their key with spaces, capitalised like the others.
KPI_LABELS = {
    "days_to_first_contact": "Days from a new balance to its first contact",
    "open_balances_untouched_at_day_10": "Open balances untouched at day 10",
    "patient_pay_yield": "Patient-pay yield",
    "text_to_pay_share": "Share of payments made by text-to-pay",
    "promise_to_pay_kept": "Promises to pay kept",
    "first_installment_success": "First plan installments paid",
    "dispute_resolution_time": "Days to resolve a dispute",
    "recovery_rate": "Recovery rate",
    "complaints_per_1000_contacts": "Complaints per 1,000 contacts",
    "percent_placed": "Balances placed with the agency",
    "percent_placed_trailing_13w": "Placed with the agency, last 13 weeks",
    "era_posting_lag_hours": "Hours from ERA to posting",
    "agency_recoveries": "Agency recoveries",
}
HEALTHY = {"up": "higher is better", "down": "lower is better", "stable_or_down": "steady or lower is better"}
SECTIONS = (
    ("win", "Wins", "KPIs that moved the healthy way since last week."),
    ("slip", "Slips", "KPIs that moved the wrong way since last week."),
    ("flat", "No change", "Unchanged, or nothing to compare with last week."),
)


@dataclass(frozen=True)
class KpiLine:
    """One row of rpt_huddle plus the KPI's weekly trend (week_ending, value) in date order."""

    kpi: str
    unit: str
    healthy_direction: str
    this_week_value: float | None
    last_week_value: float | None
    change: float | None
    relative_change: float | None
    section: str  # win | slip | flat (rpt_huddle)
    section_order: int
    kpi_order: int
    is_suggested_change: bool = False
    suggested_change: str | None = None
    trend: tuple[tuple[date, float | None], ...] = ()


@dataclass(frozen=True)
class CheckLine:
    """One data-quality check evaluation of a run (orchestration/serving/quality.py)."""

    as_of_date: str
    run_id: str
    asset: str
    check: str
    passed: bool
    severity: str  # ERROR | WARN
    detail: str = ""


@dataclass(frozen=True)
class RunLine:
    """One daily run of the week: its as-of date and how it ended."""

    as_of_date: str
    run_id: str
    status: str  # SUCCESS, FAILURE, STARTED (this run), …
    checks: int = 0
    failed: int = 0
    warned: int = 0


@dataclass
class HuddleData:
    week_ending: date
    as_of_date: date
    policy_version: str
    kpis: list[KpiLine]
    runs: list[RunLine] = field(default_factory=list)
    checks: list[CheckLine] = field(default_factory=list)  # the failed or warned ones are listed


# ------------------------------------------------------------------------------------ read


def read_huddle(analytics: Path) -> HuddleData | None:
    """rpt_huddle and the scorecard trends from the serving file (opened read-only); None when
    the scorecard has no complete week yet."""
    con = duckdb.connect(str(analytics), read_only=True)
    try:
        rows = con.execute(
            "SELECT kpi, unit, healthy_direction, this_week_value, last_week_value, change, relative_change, "
            "section, section_order, kpi_order, is_suggested_change, suggested_change, week_ending, "
            "as_of_date, policy_version FROM rpt_huddle ORDER BY section_order, kpi_order"
        ).fetchall()
        trend: dict[str, list] = {}
        for kpi, week, value in con.execute(
            "SELECT kpi, week_ending, value FROM rpt_weekly_scorecard WHERE segment = 'all' ORDER BY kpi, week_ending"
        ).fetchall():
            trend.setdefault(kpi, []).append((week, None if value is None else float(value)))
    finally:
        con.close()
    if not rows:
        return None
    f = lambda v: None if v is None else float(v)  # noqa: E731 - DECIMAL → float for rendering
    kpis = [
        KpiLine(
            kpi=r[0],
            unit=r[1],
            healthy_direction=r[2],
            this_week_value=f(r[3]),
            last_week_value=f(r[4]),
            change=f(r[5]),
            relative_change=f(r[6]),
            section=r[7],
            section_order=r[8],
            kpi_order=r[9],
            is_suggested_change=bool(r[10]),
            suggested_change=r[11],
            trend=tuple(trend.get(r[0], ())),
        )
        for r in rows
    ]
    return HuddleData(week_ending=rows[0][12], as_of_date=rows[0][13], policy_version=rows[0][14], kpis=kpis)


# ---------------------------------------------------------------------------------- render


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "per_1000":
        return f"{value:.1f} per 1,000"
    if unit in ("days", "hours"):
        return f"{value:,.1f} {unit}"
    return f"{value:,.2f}"


def fmt_change(k: KpiLine) -> str:
    if k.change is None:
        return "no value to compare"
    if k.change == 0:
        return "no change"
    if k.unit == "share":
        text = f"{k.change * 100:+.1f} points"
    elif k.unit == "percent":
        text = f"{k.change:+.1f} points"
    else:
        text = fmt_value(k.change, k.unit)
        text = text if text.startswith("-") else "+" + text
    if k.relative_change is not None:
        text += f" ({k.relative_change * 100:+.0f}%)"
    return text


def label(kpi: str) -> str:
    return KPI_LABELS.get(kpi, kpi.replace("_", " ").capitalize())


def sparkline(trend: tuple[tuple[date, float | None], ...], colour: str, width: int = 160, height: int = 36) -> str:
    """An inline SVG line of the weekly values (gaps where a week has no value); the last
    point is marked."""
    points = [(i, v) for i, (_, v) in enumerate(trend) if v is not None]
    title = "; ".join(f"{w}: {'–' if v is None else round(v, 3)}" for w, v in trend)
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{html.escape(title)}</title>'
    ]
    if points:
        lo, hi = min(v for _, v in points), max(v for _, v in points)
        n = max(len(trend) - 1, 1)

        def xy(i, v):
            return (
                round(3 + i * (width - 6) / n, 1),
                round(height - 4 - (0.5 if hi == lo else (v - lo) / (hi - lo)) * (height - 8), 1),
            )

        segments, current, last_i = [], [], None
        for i, v in points:
            if last_i is not None and i != last_i + 1:
                segments.append(current)
                current = []
            current.append(xy(i, v))
            last_i = i
        segments.append(current)
        for seg in segments:
            if len(seg) > 1:
                svg.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="'
                    + " ".join(f"{x},{y}" for x, y in seg)
                    + '"/>'
                )
        x, y = xy(*points[-1])
        svg.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>')
    svg.append("</svg>")
    return "".join(svg)


COLOURS = {"win": "#1a7f37", "slip": "#cf222e", "flat": "#6e7781"}
CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#1f2328}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%}td,th{padding:.35em .6em;border-bottom:1px solid #eaeef2;
text-align:left;vertical-align:middle}th{font-size:.85em;color:#57606a}.num{text-align:right}
.win{color:#1a7f37}.slip{color:#cf222e}.flat{color:#6e7781}.note{color:#57606a;font-size:.9em}
.change{background:#fff8c5;border:1px solid #d4a72c;padding:.8em 1em;border-radius:6px}
.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}"""


def _kpi_table(lines: list[KpiLine], section: str) -> str:
    rows = []
    for k in lines:
        rows.append(
            f'<tr data-kpi="{html.escape(k.kpi)}"><td><strong>{html.escape(label(k.kpi))}</strong><br/>'
            f'<span class="note">{HEALTHY.get(k.healthy_direction, "")}</span></td>'
            f'<td class="num">{fmt_value(k.last_week_value, k.unit)}</td>'
            f'<td class="num"><strong>{fmt_value(k.this_week_value, k.unit)}</strong></td>'
            f'<td class="num {section}">{html.escape(fmt_change(k))}</td>'
            f"<td>{sparkline(k.trend, COLOURS[section])}</td></tr>"
        )
    return (
        '<table><thead><tr><th>KPI</th><th class="num">last week</th><th class="num">this week</th>'
        '<th class="num">change</th><th>weekly trend</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def _quality(data: HuddleData) -> str:
    out = ['<section id="quality"><h2>Data quality this week</h2>']
    if not data.runs:
        out.append('<p class="note">No daily run of this week is recorded on this Dagster instance.</p>')
    else:
        failed_runs = sum(r.status == "FAILURE" for r in data.runs)
        failed = sum(r.failed for r in data.runs)
        warned = sum(r.warned for r in data.runs)
        checks = sum(r.checks for r in data.runs)
        verdict = (
            '<span class="ok">All checks passed.</span>'
            if not (failed or failed_runs or warned)
            else f'<span class="bad">{failed} failed check(s)</span>, <span class="warn">{warned} warning(s)</span>, '
            f"{failed_runs} failed run(s)."
        )
        out.append(f"<p>{len(data.runs)} run(s), {checks:,} check results. {verdict}</p>")
        out.append(
            "<table><thead><tr><th>as-of date</th><th>run</th><th>status</th>"
            '<th class="num">checks</th><th class="num">failed</th><th class="num">warnings</th>'
            "</tr></thead><tbody>"
        )
        for r in data.runs:
            cls = "bad" if r.status == "FAILURE" or r.failed else ("warn" if r.warned else "ok")
            status = "running (this report)" if r.status == "STARTED" else r.status.lower()
            out.append(
                f"<tr><td>{html.escape(r.as_of_date)}</td><td>{html.escape(r.run_id[:8])}</td>"
                f'<td class="{cls}">{html.escape(status)}</td><td class="num">{r.checks:,}</td>'
                f'<td class="num">{r.failed:,}</td><td class="num">{r.warned:,}</td></tr>'
            )
        out.append("</tbody></table>")
        problems = [c for c in data.checks if not c.passed]
        if problems:
            out.append(
                "<h3>Checks that failed or warned</h3><table><thead><tr><th>as-of date</th>"
                "<th>table</th><th>check</th><th>severity</th><th>what</th></tr></thead><tbody>"
            )
            for c in problems:
                cls = "bad" if c.severity == "ERROR" else "warn"
                out.append(
                    f"<tr><td>{html.escape(c.as_of_date)}</td><td>{html.escape(c.asset)}</td>"
                    f'<td>{html.escape(c.check)}</td><td class="{cls}">{html.escape(c.severity.lower())}</td>'
                    f"<td>{html.escape(c.detail)}</td></tr>"
                )
            out.append("</tbody></table>")
        out.append(
            '<p class="note">A failed error-level check stops everything after it in that run; '
            "the reasons are in the Dagster UI (make ui) and in this folder's "
            'data_quality CSV. See docs/user-guide.md, "When a gate fails".</p>'
        )
    out.append("</section>")
    return "".join(out)


def render_huddle(data: HuddleData) -> str:
    """The huddle page: wins, slips, no change, the one suggested change, data quality."""
    by_section = {
        s: sorted((k for k in data.kpis if k.section == s), key=lambda k: k.kpi_order) for s, _, _ in SECTIONS
    }
    unknown = {k.section for k in data.kpis} - set(by_section)
    if unknown:
        raise ValueError(f"unknown huddle section(s) {sorted(unknown)}; expected win, slip or flat")
    suggested = [k for k in data.kpis if k.is_suggested_change]
    title = f"Weekly huddle: week ending {data.week_ending}"
    out = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">Patient collections, all patients together. Data as of {data.as_of_date}; '
        f"policy version {html.escape(str(data.policy_version))}. Each week is compared with the week before.</p>",
    ]
    for section, heading, note in SECTIONS:
        lines = by_section[section]
        out.append(
            f'<section id="{section}s"><h2 class="{section}">{heading} ({len(lines)})</h2><p class="note">{note}</p>'
        )
        out.append(_kpi_table(lines, section) if lines else "<p>None this week.</p>")
        out.append("</section>")
    out.append('<section id="change"><h2>One change for next week</h2>')
    if suggested:
        k = suggested[0]
        out.append(
            f'<div class="change" data-kpi="{html.escape(k.kpi)}"><strong>{html.escape(label(k.kpi))}</strong> '
            f"slipped the most ({html.escape(fmt_change(k))}).<br/>{html.escape(k.suggested_change or '')}</div>"
        )
    else:
        out.append("<p>No KPI slipped this week: keep doing what works.</p>")
    out.append("</section>")
    out.append(_quality(data))
    out.append("</body></html>\n")
    return "".join(out)
