"""Issue 14, the quality engine's premise: a hostile annotator cannot tell gold items apart.

On each backend the annotator leases and labels about a hundred items over HTTP (a third of
them gold, at random ids, in the same batches as the rest), reading after every label every GET
route the permission table lets an annotator call, with every id they know (project, batches,
guideline and release versions, calibration sessions, the items they held). A reviewer then
reviews what the policy queued, the lead publishes a release, and the annotator reads it all
once more and flags every item they held. From what they read we build per-item features:

- the shape (key set) and the non-identifying values of the lease, the submit answer and the
  flag answer;
- for every route: whether the item (its id under an item key, or the word only its payload
  holds) appears in the answer, and whether the answer changed while the item was held;
- for every per-item route (comments...): the status and the shape of the answer;
- the item's id rank (the order items are served in is `test_gold_serving_order`'s).

Every single feature must have the same distribution on gold and ordinary items (Fisher's exact
test for each value, Mann-Whitney for numbers, each at p >= 0.001; most are constant), and a
logistic regression and a decision tree over all of them must do no better than chance in
5-fold cross-validation: balanced accuracy <= 0.5 + 3 standard deviations of its null
distribution, sqrt((1/4)(1/n_gold + 1/n_normal))/2 (about 0.05 with ~35 gold and ~55 ordinary
items). A positive control (one leaked bit added)
shows the same classifiers do find a leak when there is one.

What the feedback says is checked apart: the review of a gold miss never shows the gold value,
and feedback entries have the same shape on gold and ordinary items. Whether a review exists at
all and its verdict are not features: they follow the review policy (every gold miss is queued,
ordinary items only at the audit rate), which the lead sets, and they arrive after the item was
answered (see the module docstring of test_gold_leaks).

With batch counts readable by annotators (the state before issue 14), this test fails on its
first feature: the batch list changed after every ordinary submit and after no gold one.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from typing import Any

import numpy as np
import orjson
import pytest
from scipy.stats import fisher_exact, mannwhitneyu
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

from tests.integration.feedback_team import client
from tests.security.gold_world import (
    OPTIONS,
    World,
    annotator_get_routes,
    body_of,
    fill,
    gold_world,
    ints_under,
    shape,
)

STEPS = 90
HELD_EVERY = 5
MISS_RATE = 0.2


def _known(world: World, c: Any, held: list[int]) -> dict[str, list[Any]]:
    base = f"/api/v1/projects/{world.pid}"
    batches = [b["id"] for b in c.get(f"{base}/batches").json()]
    guideline_versions = [g["version"] for g in c.get(f"{base}/guidelines").json()]
    releases = [r["name"] for r in c.get(f"{base}/releases").json()]
    sessions = [s["id"] for s in c.get(f"{base}/calibration").json()]
    return {
        "project_id": [world.pid],
        "batch_id": batches,
        "version": guideline_versions + releases,
        "session_id": sessions or [1],
        "user_id": [world.annotator.user_id],
        "item_id": held,
    }


def _read_all(c: Any, routes: list[tuple[str, str]], known: dict[str, list[Any]], *, items: bool):
    """path -> (status, body) of every route (with or without the per-item ones)."""
    out = {}
    for path, _ in routes:
        if ("{item_id}" in path) != items:
            continue
        for url in fill(path, known):
            resp = c.get(url)
            assert resp.status_code != 500, (url, resp.text)
            out[url] = (resp.status_code, body_of(resp))
    return out


def _mentions(body: Any, item_id: int, token: str) -> bool:
    return item_id in ints_under(body) or token in orjson.dumps(body).decode()


def _play(db: Any, clock: Any, world: World) -> dict[str, Any]:
    ann = client(db, world.annotator)
    base = f"/api/v1/projects/{world.pid}"
    routes = annotator_get_routes(ann.app)
    rng = random.Random(5)
    features: dict[int, dict[str, Any]] = defaultdict(dict)
    held: list[int] = []
    answered: dict[int, str] = {}
    known = _known(world, ann, held)
    previous = _read_all(ann, routes, known, items=False)
    for step in range(STEPS):
        lease = ann.post(f"{base}/next")
        if lease.status_code == 404:
            break
        assert lease.status_code == 200, lease.text
        body = lease.json()
        item_id = body["item"]["id"]
        f = features[item_id]
        f["lease.shape"] = repr(shape(body))
        f["lease.payload_keys"] = repr(sorted(body["item"]["payload"]))
        for key in ("queue", "schema_version", "guideline_version"):
            f[f"lease.{key}"] = repr(body[key])
        f["lease.expires_after_s"] = repr(body["expires_at"] > body["leased_at"])
        if step % HELD_EVERY == 0:  # what can be read while holding it (every few items: cost)
            for url, answer in _read_all(
                ann, routes, _known(world, ann, held), items=False
            ).items():
                f[f"held.mentions {url}"] = _mentions(answer[1], item_id, world.token[item_id])
                f[f"held.changed {url}"] = previous.get(url) != answer
        label = world.truth[item_id]
        if rng.random() < MISS_RATE:
            label = rng.choice([o for o in OPTIONS if o != label])
        answered[item_id] = label
        sent = ann.post(
            f"{base}/items/{item_id}/annotations",
            json={"value": {"sentiment": label}},
            headers={"Idempotency-Key": f"k{step}"},
        )
        assert sent.status_code == 201, sent.text
        f["submit.shape"] = repr(shape(sent.json()))
        f["submit.created"] = sent.json()["created"]
        held.append(item_id)
        clock.advance(5)
        after = _read_all(ann, routes, _known(world, ann, held), items=False)
        for url, answer in after.items():
            f[f"after.mentions {url}"] = _mentions(answer[1], item_id, world.token[item_id])
            f[f"after.changed {url}"] = previous.get(url) != answer  # since the last submit
        previous = after
    _review_everything(db, world)
    lead = client(db, world.team.lead)
    assert lead.post(f"{base}/releases", json={"name": "v1"}).status_code == 201
    known = _known(world, ann, held)
    final = _read_all(ann, routes, known, items=False)
    per_item = _read_all(ann, routes, known, items=True)
    for item_id in held:
        f = features[item_id]
        for url, (_, body) in final.items():
            f[f"final.mentions {url}"] = _mentions(body, item_id, world.token[item_id])
        for url, (status, body) in per_item.items():
            path = url.replace(f"/items/{item_id}/", "/items/{item_id}/")
            if path != url:
                f[f"item.status {path}"] = status
                f[f"item.shape {path}"] = repr(shape(body))
        flag = ann.post(f"{base}/items/{item_id}/flag", json={"reason": "is this one odd?"})
        flagged = body_of(flag)
        if isinstance(flagged, dict):
            flagged = {k: v for k, v in flagged.items() if k not in ("item_id",)}
            for r in flagged.get("reasons", []):
                r.pop("at", None)
        f["flag.answer"] = repr((flag.status_code, flagged))
    ranks = {item_id: r / len(held) for r, item_id in enumerate(sorted(held))}
    for item_id in held:
        features[item_id]["num.id_rank"] = ranks[item_id]
    feedback = ann.get(f"{base}/my/feedback").json()
    return {"features": features, "held": held, "feedback": feedback, "answered": answered}


def _review_everything(db: Any, world: World) -> None:
    """The reviewer works through the queue: accept right labels, correct wrong ones."""
    rev = client(db, world.team.others["rev"])
    base = f"/api/v1/projects/{world.pid}"
    for _ in range(200):
        lease = rev.post(f"{base}/review/next")
        if lease.status_code != 200:
            break
        item_id = lease.json()["item"]["id"]
        for a in lease.json()["annotations"]:
            right = a["value"]["sentiment"] == world.truth[item_id]
            body: dict[str, Any] = {"annotation_id": a["annotation_id"], "rule_refs": ["1.1"]}
            if right:
                body["verdict"] = "accept"
            else:
                body |= {
                    "verdict": "correct",
                    "corrected_value": {"sentiment": world.truth[item_id]},
                    "error_tags": ["wrong_class"],
                    "comment": "per rule 1.1, read the whole review",
                }
            resp = rev.post(f"{base}/items/{item_id}/reviews", json=body)
            assert resp.status_code == 201, resp.text


def _matrix(features: dict[int, dict[str, Any]], held: list[int]) -> tuple[np.ndarray, list[str]]:
    """One column per numeric feature, one 0/1 column per value of every other feature."""
    names = sorted({k for f in features.values() for k in f})
    columns, labels = [], []
    for name in names:
        values = [features[i].get(name) for i in held]
        if name.startswith("num."):
            columns.append([float(v) for v in values])
            labels.append(name)
            continue
        for value in sorted({repr(v) for v in values}):
            columns.append([float(repr(v) == value) for v in values])
            labels.append(f"{name} == {value}"[:200])
    return np.array(columns, dtype=float).T, labels


def _null_sd(n_gold: int, n_normal: int) -> float:
    return math.sqrt((0.25 / n_gold + 0.25 / n_normal) / 4)


def _balanced_accuracy(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    models = {
        "logistic": LogisticRegression(max_iter=2000, C=1.0),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
    }
    return {
        name: float(np.mean(cross_val_score(m, x, y, cv=folds, scoring="balanced_accuracy")))
        for name, m in models.items()
    }


@pytest.mark.slow
def test_a_hostile_annotator_cannot_tell_gold_items_apart(db, clock):
    world = gold_world(db)
    played = _play(db, clock, world)
    held = played["held"]
    y = np.array([int(i in world.gold) for i in held])
    n_gold, n_normal = int(y.sum()), int(len(y) - y.sum())
    assert n_gold >= 20 and n_normal >= 40, (n_gold, n_normal)

    x, labels = _matrix(played["features"], held)
    # Every single feature: the same distribution on gold and ordinary items.
    for j, label in enumerate(labels):
        column = x[:, j]
        if label.startswith("num."):
            assert mannwhitneyu(column[y == 1], column[y == 0]).pvalue >= 0.001, label
            continue
        table = [
            [int(column[y == 1].sum()), int(n_gold - column[y == 1].sum())],
            [int(column[y == 0].sum()), int(n_normal - column[y == 0].sum())],
        ]
        assert fisher_exact(table)[1] >= 0.001, (label, table)
    # Ids: gold sits at random ranks among the items served (no low-id block).
    gold_ranks = x[y == 1, labels.index("num.id_rank")]
    assert 0.3 < float(np.mean(gold_ranks)) < 0.7

    bound = 0.5 + 3 * _null_sd(n_gold, n_normal)
    scores = _balanced_accuracy(x, y)
    assert all(s <= bound for s in scores.values()), (scores, bound)
    # Positive control: one bit that says "gold" is found at once by the same classifiers.
    leaked = np.column_stack([x, y.astype(float)])
    assert all(s >= 0.95 for s in _balanced_accuracy(leaked, y).values())

    # Feedback: a gold miss is reviewed, and its review never shows the gold value.
    by_item = defaultdict(list)
    for entry in played["feedback"]:
        by_item[entry["item_id"]].append(entry)
    gold_misses = [i for i in held if i in world.gold and played["answered"][i] != world.truth[i]]
    assert gold_misses, "the annotator missed no gold item; raise MISS_RATE"
    for item_id in gold_misses:
        (entry,) = by_item[item_id]
        assert entry["verdict"] == "correct" and entry["corrected_fields"] == ["sentiment"]
        assert "corrected_value" not in entry
        assert world.truth[item_id] not in orjson.dumps(entry).decode(), entry
    keys = {(i in world.gold, tuple(sorted(e))) for i, entries in by_item.items() for e in entries}
    assert len({k for _, k in keys}) == 1, keys  # the same keys on gold and ordinary items
    assert {g for g, _ in keys} == {True, False}  # both kinds were reviewed
