"""The weekly snapshot as markdown (to post) and HTML (to mail or show): short headline
numbers, arrows against last week, named examples; both built from the same sections."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

Section = tuple[str, list[str], list[list[str]] | None]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _value(line: dict[str, Any], key: str) -> str:
    v = line[key]
    if v is None:
        return "n/a"
    unit = line["unit"]
    if unit == "rate":
        return _pct(v)
    if unit == "seconds":
        return f"{v} s"
    if unit == "ratio":
        return f"{v:.3f}"
    return f"{v:,}"


def _delta(line: dict[str, Any]) -> str:
    now, before, unit = line["this_week"], line["last_week"], line["unit"]
    if now is None or before is None:
        return "new" if before is None and now is not None else ""
    if unit == "rate":
        text = f"{(now - before) * 100:+.1f} pts"
    elif unit == "count":
        text = f"{(now - before) / before * 100:+.0f}%" if before else f"{now - before:+,}"
    elif unit == "seconds":
        text = f"{now - before:+} s"
    else:
        text = f"{now - before:+.3f}"
    verdict = {True: " (better)", False: " (worse)", None: ""}[line["better"]]
    return f"{line['arrow']} {text}{verdict}".strip()


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _day(iso: str | None) -> str:
    return date.fromisoformat(iso[:10]).strftime("%b %d") if iso else "no deadline"


def sections(s: dict[str, Any]) -> tuple[str, str, list[Section]]:
    period = f"{_day(s['period']['from'])} – {_day(s['period']['to'])}"
    title = f"Weekly snapshot: {s['project']['name']} · {s['week']} ({period})"
    q = {line["metric"]: line for line in s["quality"]}
    headline = " · ".join(
        part
        for part in (
            f"**{s['throughput']['labels']:,} labels** {_delta(q['labels'])}",
            f"**{s['throughput']['members_active']} members active**",
            f"disagreement **{_value(q['disagreement_rate'], 'this_week')}** "
            f"{_delta(q['disagreement_rate'])}",
            f"gold accuracy **{_value(q['gold_accuracy'], 'this_week')}** "
            f"{_delta(q['gold_accuracy'])}",
        )
    )
    out: list[Section] = []
    pr = s["priorities"]
    bullets = [f"{n}" for n in pr["notes"]] + [
        f"**{b['batch']}** ({b['state'].replace('_', ' ')}"
        f"{', owner ' + b['owner'] if b['owner'] else ''}, "
        f"{'due ' + _day(b['deadline']) if b['deadline'] else 'no deadline'}): "
        + (f"{b['open_items']} items left" if "open_items" in b else "open")
        + (f" — {b['handoff_note']}" if b["handoff_note"] else "")
        for b in pr["batches"]
    ]
    if pr.get("unbatched_open_items"):
        bullets.append(f"{pr['unbatched_open_items']} open items outside any batch")
    out.append(("Priorities", bullets or ["Nothing open: every batch is done."], None))
    out.append(
        (
            "Quality against last week",
            [],
            [["", "this week", s["previous_week"], "change"]]
            + [
                [line["label"], _value(line, "this_week"), _value(line, "last_week"), _delta(line)]
                for line in s["quality"]
            ],
        )
    )
    if s.get("field_agreement"):
        out.append(
            (
                "Agreement per field",
                [],
                [["field", "measure", "this week", s["previous_week"]]]
                + [
                    [
                        f"{f['field']} ({f['kind']})",
                        f["measure"],
                        _ratio(f["this_week"]),
                        _ratio(f["last_week"]),
                    ]
                    for f in s["field_agreement"]
                ],
            )
        )
    per_day = ", ".join(
        f"{date.fromisoformat(d['day']).strftime('%a')} {d['labels']}"
        for d in s["throughput"]["per_day"]
    )
    tp = [f"Labels per day — {per_day}" if per_day else "No labels this week."]
    tp += [
        f"{m['member']}: {m['labels']} labels over {m['active_days']} day(s)"
        for m in s["throughput"]["per_member"]
    ]
    tp += [
        f"Time per item, {queue}: median {t['median_s']} s, p90 {t['p90_s']} s ({t['n']} items)"
        for queue, t in s["time_by_queue"].items()
    ]
    out.append(("Throughput", tp, None))
    alerts = [
        f"{'⚠ ' if a['state'] == 'open' else '✓ '}{a['kind'].replace('_', ' ')} — {a['message']}"
        + ("" if a["state"] == "open" else " (resolved)")
        for a in s["alerts"]
    ]
    out.append(("Drift and agreement alerts", alerts or ["No alerts this week."], None))
    if s["review_available"]:
        tags = [
            f"{t['key']}: {t['count']} ({_pct(t['share'])}, cumulative {_pct(t['cumulative'])})"
            for t in s["error_tags"]
        ]
        out.append(("Top error tags", tags or ["No error tags this week."], None))
    esc = s["escalations"]
    if esc.get("available"):
        lines = [
            f"Level {level}: {e['overdue']} overdue of {e['open']} waiting, "
            f"{e.get('answered', 0)} answered, {e['resolved']} resolved"
            + (
                f", median {e['median_hours_to_resolve']} h to resolve"
                if e["median_hours_to_resolve"] is not None
                else ""
            )
            for level, e in sorted(esc["levels"].items())
        ]
        out.append(("Escalations", lines or ["No escalations."], None))
    changes = [
        f"v{g['version']}{' ' + g['title'] if g['title'] else ''} "
        f"(published {_day(g['published_at'])}{' by ' + g['published_by'] if g['published_by'] else ''})"
        + (f": {g['changelog']}" if g["changelog"] else "")
        for g in s["guideline_changes"]
    ]
    out.append(("Guideline changes", changes or ["No new guideline version this week."], None))
    examples = [
        f"**{e['member']}**"
        + (f" — `{e['external_id']}`" if e.get("external_id") else "")
        + (f" “{e['excerpt']}”" if e.get("excerpt") else "")
        + f": {e['label']}, {e['why']}"
        for e in s["examples"]
    ]
    out.append(("Top-quality examples", examples or ["No fully agreed items this week."], None))
    weeks = s["team_trend"]["weeks"]
    rows = [
        ["member", f"gold accuracy ({weeks[0]} → {weeks[-1]})", "agreement with consensus", "trend"]
    ]
    for m in s["members"]:
        rows.append(
            [
                m["member"],
                " → ".join(_pct(v) for v in m["gold_accuracy"]),
                " → ".join(_pct(v) for v in m["agreement"]),
                {"improving": "↑ improving", "declining": "↓ declining", "steady": "→ steady"}.get(
                    m["trend"] or "", "not enough data"
                ),
            ]
        )
    team = " → ".join(_pct(v) for v in s["team_trend"]["agreement"])
    out.append(("Improvement trends", [f"Team agreement with consensus: {team}"], rows))
    return title, headline, out


def render_markdown(snapshot: dict[str, Any]) -> str:
    title, headline, parts = sections(snapshot)
    lines = [f"# {title}", "", headline, ""]
    for heading, bullets, table in parts:
        lines += [f"## {heading}", ""]
        lines += [f"- {b}" for b in bullets]
        if table:
            if bullets:
                lines.append("")
            lines.append("| " + " | ".join(table[0]) + " |")
            lines.append("|" + "---|" * len(table[0]))
            lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _inline(text: str) -> str:
    """Escape, then turn the two markdown marks we use (**bold**, `code`) into tags."""
    out, bold, code = [], False, False
    for i, chunk in enumerate(html.escape(text).split("**")):
        if i:
            bold = not bold
            out.append("<strong>" if bold else "</strong>")
        pieces = chunk.split("`")
        for j, piece in enumerate(pieces):
            if j:
                code = not code
                out.append("<code>" if code else "</code>")
            out.append(piece)
    return "".join(out)


def render_html(snapshot: dict[str, Any]) -> str:
    title, headline, parts = sections(snapshot)
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{_inline(headline)}</p>"]
    for heading, bullets, table in parts:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if bullets:
            body.append("<ul>" + "".join(f"<li>{_inline(b)}</li>" for b in bullets) + "</ul>")
        if table:
            head = "".join(f"<th>{html.escape(c)}</th>" for c in table[0])
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in table[1:]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>" + "\n".join(body) + "</body></html>\n"
    )
