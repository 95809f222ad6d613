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
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import insert, select

from labelcrew.db.models.core import GoldAnswer, Item
from labelcrew.errors import Forbidden, NotFound
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from labelcrew.sim.annotators import SimAnnotator, make_team
from labelcrew.sim.config import SimConfig
from labelcrew.sim.measure import SCHEMA_OPTIONS, SimResult, measure


def _setup(
    db: Database, cfg: SimConfig, team: list[SimAnnotator]
) -> tuple[int, list[Actor], np.ndarray, set[int]]:
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
    n_honeypots = max(0, int(cfg.items * cfg.honeypot_share))
    others = np.setdiff1d(np.arange(cfg.items), spread)
    honeypot_at = {
        int(i) for i in np.random.default_rng(cfg.seed + 2).choice(others, n_honeypots, False)
    }
    gold_at |= honeypot_at
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
                    "kind": "honeypot" if i in honeypot_at else "gold",
                    "created_at": uow.now,
                }
                for i in sorted(gold_at)
            ],
        )
        uow.commit()
    truth_by_id = np.full(max(ids) + 1, -1)
    truth_by_id[ids] = truth
    honeypot_ids = {ids[i] for i in honeypot_at}
    return pid, actors, truth_by_id, honeypot_ids


def run(db: Database, cfg: SimConfig, progress: Callable[[int], None] | None = None) -> SimResult:
    gen = np.random.default_rng(cfg.seed)
    # Drift sets in between a third and two thirds of a member's expected answers: late enough
    # for a baseline to exist (what the drift goal measures), early enough to be caught.
    answers = cfg.items * cfg.overlap / max(cfg.annotators, 1) / max(1.0 - cfg.gold_rate, 0.01)
    window = (int(answers / 3), max(int(answers * 2 / 3), int(answers / 3)))
    team = make_team(
        cfg.annotators,
        cfg.drifters,
        cfg.spammers,
        cfg.classes,
        gen,
        drift_window=window,
        drift_kinds=cfg.drift_kinds,
    )
    for member in [m for m in team if m.kind == "honest"][: cfg.inattentive]:
        member.kind, member.honeypot_miss = "inattentive", 0.35
    options = [f"class_{SCHEMA_OPTIONS[k]}" for k in range(cfg.classes)]
    moments = {"now": datetime(2026, 11, 2, 8, 0, tzinfo=UTC)}
    sim_db = Database(db.engine, clock=lambda: moments["now"], rng=random.Random(cfg.seed))
    pid, actors, truth, honeypot_ids = _setup(sim_db, cfg, team)
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
        if item_id in honeypot_ids:  # obvious: right unless the member is not looking
            miss = gen.random() < team[k].honeypot_miss
            answer = (int(truth[item_id]) + 1) % cfg.classes if miss else int(truth[item_id])
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
    return measure(db, cfg, pid, team, actors, truth, onset_answer, done)
