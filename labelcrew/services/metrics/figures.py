"""Turns partial aggregates (see `metrics_partials`) into the metrics' figures: totals, time per
item by queue, throughput per member and per day, and one series entry per group key. Plain
Python over the rows it is given; no database here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from labelcrew.domain.metrics.calc import add, group_key, rate, time_summary
from labelcrew.services.metrics.partials import Activity, Durations, Overlap


def _figures(counts: dict[str, int], hist: dict[int, int]) -> dict[str, Any]:
    return {
        "labels": counts.get("labels", 0),
        "gold_answers": counts.get("gold_answers", 0),
        "gold_accuracy": rate(counts.get("gold_correct", 0), counts.get("gold_answers", 0)),
        "overlap_items": counts.get("overlap_items", 0),
        "disagreed_items": counts.get("disagreed_items", 0),
        "disagreement_rate": rate(counts.get("disagreed_items", 0), counts.get("overlap_items", 0)),
        "time_per_item": time_summary(hist, counts.get("duration_ms_sum") if hist else None),
    }


def assemble(
    activity: list[Activity],
    durations: list[Durations],
    overlap: list[Overlap],
    overlap_series: list[Overlap],
    group_by: str | None,
    names: dict[int, str],
    start: date,
    end: date,
) -> dict[str, Any]:
    totals: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    per_member: dict[int, dict[str, Any]] = {}
    per_day: dict[str, int] = defaultdict(int)
    by_queue: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    queue_ms: dict[str, int] = defaultdict(int)
    group_hist: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    group_members: dict[str, set[int]] = defaultdict(set)
    for a in activity:
        values = [
            ("labels", a.labels),
            ("gold_answers", a.gold_answers),
            ("gold_correct", a.gold_correct),
            ("duration_ms_sum", a.duration_ms_sum),
        ]
        add(totals, "all", values)
        if group_by:
            key = group_key(group_by, a)
            add(groups, key, values)
            group_members[key].add(a.annotator_id)
        member = per_member.setdefault(a.annotator_id, {"labels": 0, "days": set()})
        member["labels"] += a.labels
        member["days"].add(a.day)
        per_day[a.day.isoformat()] += a.labels
        queue_ms[a.queue] += a.duration_ms_sum
    for d in durations:
        by_queue[d.queue][d.seconds] += d.n
        if group_by:
            group_hist[group_key(group_by, d)][d.seconds] += d.n
    for o in overlap:
        add(
            totals,
            "all",
            [("overlap_items", o.overlap_items), ("disagreed_items", o.disagreed_items)],
        )
    for o in overlap_series if group_by not in (None, "queue") else ():
        add(
            groups,
            group_key(group_by or "day", o),
            [("overlap_items", o.overlap_items), ("disagreed_items", o.disagreed_items)],
        )
    all_counts = totals.get("all", {})
    all_hist: dict[int, int] = defaultdict(int)
    for hist in by_queue.values():
        for seconds, n in hist.items():
            all_hist[seconds] += n
    days = max((min(end, max((a.day for a in activity), default=start)) - start).days + 1, 1)
    result = _figures(all_counts, all_hist)
    result["time_by_queue"] = {
        queue: time_summary(hist, queue_ms.get(queue)) for queue, hist in sorted(by_queue.items())
    }
    result["members_active"] = len(per_member)
    result["throughput"] = {
        "per_day": [{"day": k, "labels": v} for k, v in sorted(per_day.items())],
        "per_member": sorted(
            (
                {
                    "member_id": mid,
                    "member": names.get(mid, str(mid)),
                    "labels": m["labels"],
                    "active_days": len(m["days"]),
                    "labels_per_active_day": round(m["labels"] / len(m["days"]), 1),
                }
                for mid, m in per_member.items()
            ),
            key=lambda r: (-r["labels"], r["member"]),
        ),
        "labels_per_day": round(all_counts.get("labels", 0) / days, 1),
    }
    series = []
    for key in sorted(set(groups) | set(group_hist)):
        entry = {"key": key, **_figures(groups.get(key, {}), group_hist.get(key, {}))}
        entry["members_active"] = len(group_members.get(key, ()))
        if group_by == "member" and key.isdigit():
            entry["member"] = names.get(int(key), key)
        series.append(entry)
    result["series"] = series
    return result
