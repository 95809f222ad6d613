"""The team simulator: simulated annotators working a real project through the real services.

It builds a project (a K-class single-choice schema, gold items with known answers, a team that
acknowledged the guideline), lets the members pull items with `next_item` and answer them with
`submit` on a simulated clock, then measures what a lead would ask of the quality engine:
how fast drift and spammers were caught, how many false alarms steady members got, how
accurate the aggregated labels are and how many labels were spent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Member, User
from labelcrew.domain.aggregation.em import DawidSkene
from labelcrew.domain.quality.drift import tests as drift
from labelcrew.errors import Forbidden, NotFound
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.quality import drift_scan
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from labelcrew.sim.annotators import SimAnnotator, make_team


@dataclass
class SimConfig:
    annotators: int = 50
    items: int = 20000
    drifters: int = 5
    spammers: int = 2
    classes: int = 5
    overlap: int = 3
    dynamic: bool = False
    gold_rate: float = 0.1
    gold_share: float = 0.05
    seed: int = 1
    slug: str = "sim"


@dataclass
class SimResult:
    labels_spent: int = 0
    gold_answers: int = 0
    aggregation_accuracy: float | None = None
    drift_latency: list[int | None] = field(default_factory=list)
    drift_trigger: list[str | None] = field(default_factory=list)
    checks_per_gold: float = 0.0
    false_alarms: int = 0
    steady_gold_answers: int = 0
    spammer_pause_after: list[int | None] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        caught = [x for x in self.drift_latency if x is not None]
        return {
            "labels_spent": self.labels_spent,
            "gold_answers": self.gold_answers,
            "aggregation_accuracy": self.aggregation_accuracy,
            "drift_detection_latency_gold_answers": self.drift_latency,
            "drift_detection_latency_median": float(np.median(caught)) if caught else None,
            "drifters_caught": f"{len(caught)}/{len(self.drift_latency)}",
            "drift_first_alarm_by": self.drift_trigger,
            "agreement_checks_per_gold": self.checks_per_gold,
            "false_alarms": self.false_alarms,
            "false_alarms_per_10000_gold": (
                round(self.false_alarms * 10000 / self.steady_gold_answers, 2)
                if self.steady_gold_answers
                else None
            ),
            "spammers_paused_after_gold_answers": self.spammer_pause_after,
            "paused_members": self.paused,
        }


SCHEMA_OPTIONS = "abcdefghijklmnopqrstuvwxyz"


def _setup(
    db: Database, cfg: SimConfig, team: list[SimAnnotator]
) -> tuple[int, list[Actor], np.ndarray]:
    options = [f"class_{SCHEMA_OPTIONS[k]}" for k in range(cfg.classes)]
    admin_name = f"{cfg.slug}-admin"
    out = accounts.create_user(
        db, None, username=admin_name, password="simulated-pass", is_admin=True
    )
    admin = Actor(out.id, out.username, True)
    project = projects.create_project(
        db,
        admin,
        slug=cfg.slug,
        name="Simulated team",
        schema={"fields": [{"name": "label", "kind": "single_choice", "options": options}]},
        overlap=1 if cfg.dynamic else cfg.overlap,
        max_overlap=max(cfg.overlap + 2, 3),
        overlap_policy="dynamic" if cfg.dynamic else "fixed",
        gold_rate=cfg.gold_rate,
        probation_gold_rate=max(cfg.gold_rate, 0.15),
        wip_limit=1,
    )
    pid = project["id"]
    guidelines.save_draft(
        db,
        admin,
        pid,
        title="Simulated",
        body="",
        rules=[{"number": "1.1", "text": "Choose the class of the item."}],
    )
    projects.set_member(db, admin, pid, username=admin_name, roles=["guideline_owner", "lead"])
    guidelines.publish(db, admin, pid, version=1, changelog="first version")
    actors = []
    for member in team:
        name = f"{cfg.slug}-{member.name}"
        made = accounts.create_user(db, admin, username=name, password="simulated-pass")
        projects.set_member(db, admin, pid, username=name, roles=["annotator"])
        actor = Actor(made.id, made.username, False)
        guidelines.acknowledge(db, actor, pid, version=1)
        actors.append(actor)
    truth = np.random.default_rng(cfg.seed).integers(0, cfg.classes, cfg.items)
    n_gold = max(1, int(cfg.items * cfg.gold_share))
    # Gold lies among the other items, as a lead marks it: it is served where it lies (issue 14).
    spread = np.random.default_rng(cfg.seed + 1).choice(cfg.items, n_gold, replace=False)
    gold_at = {int(i) for i in spread}
    with db.uow() as uow:
        uow.session.execute(
            insert(Item),
            [
                {
                    "project_id": pid,
                    "external_id": f"sim-{i}",
                    "payload": {"text": f"item {i}"},
                    "priority": 0,
                    "required_skills": [],
                    "is_gold": i in gold_at,
                    "overlap_target": 1 if cfg.dynamic else cfg.overlap,
                    "created_at": uow.now,
                }
                for i in range(cfg.items)
            ],
        )
        ids = list(
            uow.session.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.id))
        )
        uow.session.execute(
            insert(GoldAnswer),
            [
                {
                    "item_id": ids[i],
                    "value": {"label": options[int(truth[i])]},
                    "rule_number": "1.1",
                    "created_at": uow.now,
                }
                for i in sorted(gold_at)
            ],
        )
        uow.commit()
    truth_by_id = np.full(max(ids) + 1, -1)
    truth_by_id[ids] = truth
    return pid, actors, truth_by_id


def run(db: Database, cfg: SimConfig, progress: Callable[[int], None] | None = None) -> SimResult:
    gen = np.random.default_rng(cfg.seed)
    # Drift sets in between a third and two thirds of a member's expected answers: late enough
    # for a baseline to exist (what the drift goal measures), early enough to be caught.
    answers = cfg.items * cfg.overlap / max(cfg.annotators, 1) / max(1.0 - cfg.gold_rate, 0.01)
    window = (int(answers / 3), max(int(answers * 2 / 3), int(answers / 3)))
    team = make_team(
        cfg.annotators, cfg.drifters, cfg.spammers, cfg.classes, gen, drift_window=window
    )
    options = [f"class_{SCHEMA_OPTIONS[k]}" for k in range(cfg.classes)]
    moments = {"now": datetime(2026, 11, 2, 8, 0, tzinfo=UTC)}
    sim_db = Database(db.engine, clock=lambda: moments["now"], rng=random.Random(cfg.seed))
    pid, actors, truth = _setup(sim_db, cfg, team)
    free_at = gen.random(len(team))  # seconds; members start a little apart
    active = set(range(len(team)))
    onset_answer: dict[int, int] = {
        k: m.drift_at for k, m in enumerate(team) if m.kind == "drifter" and m.drift_at is not None
    }
    done = 0
    while active:
        k = min(active, key=lambda j: free_at[j])
        moments["now"] = datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(seconds=free_at[k])
        try:
            lease = assignment.next_item(sim_db, actors[k], pid)
        except (NotFound, Forbidden):
            active.discard(k)
            continue
        free_at[k] += team[k].seconds(gen)
        moments["now"] = datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(seconds=free_at[k])
        item_id = lease["item"]["id"]
        answer = team[k].answer(int(truth[item_id]), gen)
        submission.submit(
            sim_db,
            actors[k],
            pid,
            item_id,
            {"label": options[answer]},
            idempotency_key=f"sim-{k}-{item_id}",
        )
        done += 1
        if progress is not None:
            progress(1)
    return _measure(db, cfg, pid, team, actors, truth, onset_answer, done)


def _measure(
    db: Database,
    cfg: SimConfig,
    pid: int,
    team: list[SimAnnotator],
    actors: list[Actor],
    truth: np.ndarray,
    onset_answer: dict[int, int],
    done: int,
) -> SimResult:
    result = SimResult(labels_spent=done)
    options = [f"class_{SCHEMA_OPTIONS[k]}" for k in range(cfg.classes)]
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(
                Annotation.annotator_id,
                Annotation.item_id,
                Annotation.value,
                Annotation.gold_correct,
                Annotation.id,
            )
            .where(Annotation.project_id == pid)
            .order_by(Annotation.id)
        ).all()
        statuses = dict(
            uow.session.execute(
                select(User.username, Member.status)
                .join(Member, Member.user_id == User.id)
                .where(Member.project_id == pid)
            ).all()
        )
        overlap_rows = drift_scan.measured_labels(uow, pid, "label", options)
        team_streams = drift_scan.member_streams(uow, pid, options, overlap_rows, "label")
    by_user = {a.user_id: k for k, a in enumerate(actors)}
    own_ids: dict[int, list[int]] = {k: [] for k in range(len(team))}
    gold_ids: dict[int, list[int]] = {k: [] for k in range(len(team))}
    for annotator_id, _item, _value, correct, annotation_id in rows:
        k = by_user[annotator_id]
        own_ids[k].append(annotation_id)
        if correct is not None:
            gold_ids[k].append(annotation_id)
    result.gold_answers = sum(len(s) for s in gold_ids.values())
    peers = team_streams.peers
    if peers is not None:
        result.checks_per_gold = round(peers.pair_per_gold + peers.consensus_per_gold, 2)
    for k, member in enumerate(team):
        name = actors[k].username
        alarms = drift.detect_member_drift(team_streams.streams.get(name, {}), peers=peers)
        gold = np.array(gold_ids[k], dtype=np.int64)
        if member.kind == "drifter":
            onset = onset_answer.get(k)
            start = own_ids[k][onset] if onset is not None and onset < len(own_ids[k]) else None
            late = [a for a in alarms if start is not None and a.end_at >= start]
            result.drift_latency.append(
                None
                if not late or start is None
                else int(((gold >= start) & (gold <= late[0].end_at)).sum())
            )
            result.drift_trigger.append(late[0].trigger if late else None)
        elif member.kind == "honest":
            result.false_alarms += len(alarms)
            result.steady_gold_answers += int(gold.size)
        else:
            paused = statuses.get(name) == "paused"
            result.spammer_pause_after.append(int(gold.size) if paused else None)
    result.paused = sorted(n for n, s in statuses.items() if s == "paused")
    labelled = [
        (item, annotator_id, options.index(v["label"]))
        for annotator_id, item, v, correct, _ in rows
        if correct is None
    ]
    if labelled:
        items = np.array([x[0] for x in labelled])
        workers = np.array([x[1] for x in labelled])
        labels = np.array([x[2] for x in labelled])
        uniq, item_codes = np.unique(items, return_inverse=True)
        _, worker_codes = np.unique(workers, return_inverse=True)
        model = DawidSkene().fit(item_codes, worker_codes, labels, n_classes=cfg.classes)
        result.aggregation_accuracy = round(float(np.mean(model.labels_ == truth[uniq])), 4)
    return result
