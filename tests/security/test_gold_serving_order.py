"""Issue 14: the order in which gold is served does not tell it apart.

`next` serves ordinary items by priority then id (claimed batches first). Gold used to be served
by its own priority-then-id order at the gold rate, so the gold ids served ran ahead of (or
lagged behind) the ordinary ids around them, and a classifier on the served sequence (id rank,
distance to the ids served just before, order breaks) reached a balanced accuracy of about 0.7.
Now a gold item is served only from the step just before the ordinary candidate (same priority,
same batches, between it and the ordinary item before it), so gold and ordinary ids come in one
order; this test keeps it so.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

from labelcrew.services.work import assignment, submission
from tests.security.gold_world import gold_world


def test_the_serving_order_does_not_tell_gold_apart(db):
    world = gold_world(db)
    served = []
    for _ in range(90):
        item_id = assignment.next_item(db, world.annotator, world.pid)["item"]["id"]
        value = {"sentiment": world.truth[item_id]}
        submission.submit(db, world.annotator, world.pid, item_id, value, idempotency_key=None)
        served.append(item_id)
    ranks = {item_id: r / len(served) for r, item_id in enumerate(sorted(served))}
    rows = []
    for k, item_id in enumerate(served):
        recent = served[max(0, k - 5) : k] or [item_id]
        rows.append(
            [
                ranks[item_id],
                abs(item_id - float(np.median(recent))),
                float(item_id < max(served[:k] or [0])),
                float(k > 0 and item_id > served[k - 1]),
            ]
        )
    x, y = np.array(rows), np.array([int(i in world.gold) for i in served])
    n_gold, n_normal = int(y.sum()), int(len(y) - y.sum())
    bound = 0.5 + 3 * math.sqrt((0.25 / n_gold + 0.25 / n_normal) / 4)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    score = float(np.mean(cross_val_score(tree, x, y, cv=folds, scoring="balanced_accuracy")))
    assert score <= bound, (score, bound)
