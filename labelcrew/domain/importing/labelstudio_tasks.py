"""Label Studio project exports read into tasks, annotations and predictions.

Three export formats of Label Studio 1.x are read:

- JSON: a list of tasks `{"id", "data", "annotations": [{"id", "completed_by", "result",
  "ground_truth", "was_cancelled", "lead_time", "created_at", ...}], "predictions": [...],
  ...}`. Label Studio 1.23's quick export (`GET /api/projects/{id}/export?exportType=JSON`)
  writes `completed_by` as the user id and `predictions` as ids; a snapshot export
  (`POST /api/projects/{id}/exports` with `annotations__completed_by` and `predictions`
  `only_id: false`) writes the user object (`{"id", "email", "first_name", "last_name"}`)
  and whole predictions (`{"id", "model_version", "score", "result"}`). With a user id, the
  e-mail comes from the `annotators` map given by the caller (Label Studio user id ->
  e-mail, from `GET /api/users`), else from `created_username` ("email, id", older
  versions), else the member is `labelstudio-user-<id>`. Predictions given by id only are
  counted, not imported.
- JSON_MIN: one flat object per annotation (a task without one appears once): the task's
  data keys, one key per control (`from_name`) holding its simplified value, and `id`,
  `annotator`, `annotation_id`, `created_at`, `updated_at`, `lead_time`.
- CSV: JSON_MIN's columns; cells holding JSON (lists, objects) are decoded, as are Python
  literals that pandas writes for list-valued data.

JSON_MIN and CSV carry neither predictions nor the ground-truth flag: Label Studio leaves them
out of those formats.
"""

from __future__ import annotations

import ast
import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import orjson

from labelcrew.domain.importing.labelstudio_config import ConfigMapping
from labelcrew.domain.importing.labelstudio_results import ResultProblem, regions_from_min

FORMATS = ("json", "json_min", "csv")
MIN_META = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time"})


@dataclass
class LsAnnotation:
    where: str
    id: str | None
    annotator: str  # e-mail, or labelstudio-user-<id>
    display_name: str
    regions: list[Any]
    ground_truth: bool = False
    cancelled: bool = False
    lead_time: float | None = None


@dataclass
class LsPrediction:
    where: str
    id: str | None
    model_version: str
    score: float | None
    regions: list[Any]


@dataclass
class LsTask:
    number: int
    external_id: str
    data: dict[str, Any]
    annotations: list[LsAnnotation] = field(default_factory=list)
    predictions: list[LsPrediction] = field(default_factory=list)
    predictions_by_id: int = 0


class _TextOf(HTMLParser):
    """The text content of an HTML page, as the browser's DOM text nodes concatenate it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def detect(filename: str, content: bytes) -> str:
    if filename.lower().endswith(".csv"):
        return "csv"
    head = content.lstrip()[:1]
    if head not in (b"[", b"{"):
        return "csv"
    try:
        parsed = orjson.loads(content)
    except orjson.JSONDecodeError:
        return "json"
    first = parsed[0] if isinstance(parsed, list) and parsed else parsed
    return "json" if isinstance(first, dict) and isinstance(first.get("data"), dict) else "json_min"


def _annotator(raw: dict[str, Any], annotators: dict[str, str]) -> tuple[str, str]:
    who = raw.get("completed_by")
    if isinstance(who, dict):
        email = str(who.get("email") or "").strip()
        name = " ".join(str(who.get(k) or "") for k in ("first_name", "last_name")).strip()
        if email:
            return email.lower(), name
        who = who.get("id")
    known = annotators.get(str(who))
    if known:
        return known.lower(), ""
    created = raw.get("created_username")
    if isinstance(created, str) and "@" in created:
        return created.split(",")[0].strip().lower(), ""
    return f"labelstudio-user-{who}", ""


def _id(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _external_id(raw: Any, number: int) -> str:
    if raw is None or isinstance(raw, bool) or not isinstance(raw, int | str) or str(raw) == "":
        raise ResultProblem(f"task {number}", f"id must be a number or a string, not {raw!r}")
    return str(raw)


def _json_tasks(parsed: Any, annotators: dict[str, str]) -> list[LsTask]:
    tasks = []
    for number, raw in enumerate(parsed, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
            raise ResultProblem(f"task {number}", "must be an object with a data object")
        # labelcrew's own export keeps a non-numeric external id in meta (a task id is a number).
        meta = raw.get("meta")
        external = (meta.get("external_id") if isinstance(meta, dict) else None) or raw.get("id")
        task = LsTask(number, _external_id(external, number), dict(raw["data"]))
        for a in raw.get("annotations") or []:
            where = f"task {number} annotation {a.get('id')}"
            email, name = _annotator(a, annotators)
            lead = a.get("lead_time")
            task.annotations.append(
                LsAnnotation(
                    where,
                    _id(a.get("id")),
                    email,
                    name,
                    list(a.get("result") or []),
                    ground_truth=bool(a.get("ground_truth")),
                    cancelled=bool(a.get("was_cancelled")),
                    lead_time=float(lead) if isinstance(lead, int | float) else None,
                )
            )
        for p in raw.get("predictions") or []:
            if not isinstance(p, dict):
                # Label Studio's quick export lists predictions by id only (the snapshot
                # export with `predictions.only_id = false` carries them whole).
                task.predictions_by_id += 1
                continue
            score = p.get("score")
            task.predictions.append(
                LsPrediction(
                    f"task {number} prediction {p.get('id')}",
                    _id(p.get("id")),
                    str(p.get("model_version") or ""),
                    float(score) if isinstance(score, int | float) else None,
                    list(p.get("result") or []),
                )
            )
        tasks.append(task)
    return tasks


def _cell(raw: Any) -> Any:
    """A CSV cell: JSON or a Python literal when it looks like one, else the string."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text[:1] in ("[", "{") or text in ("true", "false", "null"):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return raw
    return raw


def _number(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    return raw


def _min_tasks(rows: list[Any], mapping: ConfigMapping, annotators: dict[str, str]) -> list[LsTask]:
    controls = mapping.by_from_name()
    skip = {u.name for u in mapping.unmapped}
    by_id: dict[str, LsTask] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ResultProblem(f"row {number}", "must be an object")
        external_id = _external_id(row.get("id"), number)
        data = {
            k: v
            for k, v in row.items()
            if k not in MIN_META and k not in controls and k not in skip
        }
        task = by_id.get(external_id)
        if task is None:
            task = by_id[external_id] = LsTask(number, external_id, data)
        annotator = row.get("annotator")
        if annotator in (None, ""):
            continue
        regions: list[Any] = []
        for name, control in controls.items():
            raw = row.get(name)
            if control.tag in ("Rating", "Number"):
                raw = _number(raw)
            regions += regions_from_min(control, raw)
        email = str(annotator).strip().lower()
        if "@" not in email:
            email = annotators.get(email, f"labelstudio-user-{email}").lower()
        lead = _number(row.get("lead_time"))
        task.annotations.append(
            LsAnnotation(
                f"row {number} annotation {row.get('annotation_id')}",
                _id(row.get("annotation_id")),
                email,
                "",
                regions,
                lead_time=float(lead) if isinstance(lead, int | float) else None,
            )
        )
    return list(by_id.values())


def read_export(
    content: bytes,
    mapping: ConfigMapping,
    *,
    fmt: str | None = None,
    filename: str = "export.json",
    annotators: dict[str, str] | None = None,
) -> tuple[str, list[LsTask]]:
    """The export's format and its tasks (raises ResultProblem naming the task or row)."""
    chosen = fmt or detect(filename, content)
    if chosen not in FORMATS:
        raise ResultProblem("format", f"{chosen!r} is not one of {', '.join(FORMATS)}")
    names = annotators or {}
    if chosen == "csv":
        try:
            reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        except UnicodeDecodeError as exc:
            raise ResultProblem("file", f"the CSV file is not UTF-8: {exc}") from None
        rows = [{k: _cell(v) for k, v in row.items() if k is not None} for row in reader]
        tasks = _min_tasks(rows, mapping, names)
    else:
        try:
            parsed = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise ResultProblem("file", f"not valid JSON: {exc}") from None
        if isinstance(parsed, dict):
            parsed = [parsed]
        if not isinstance(parsed, list):
            raise ResultProblem("file", "a Label Studio export holds a JSON array of tasks")
        tasks = (
            _json_tasks(parsed, names) if chosen == "json" else _min_tasks(parsed, mapping, names)
        )
    _derive_html_text(tasks, mapping)
    return chosen, tasks


def _derive_html_text(tasks: list[LsTask], mapping: ConfigMapping) -> None:
    """HyperTextLabels mark the page's text: store it beside the HTML, once per task."""
    sources = {
        (c.source, c.settings["source"])
        for c in mapping.controls
        if c.tag == "HyperTextLabels" and c.source
    }
    for task in tasks:
        for html_key, text_key in sources:
            html = task.data.get(html_key)
            if isinstance(html, str) and text_key not in task.data:
                task.data[text_key] = html_text(html)


def ranker_sizes(tasks: list[LsTask], mapping: ConfigMapping) -> dict[str, int]:
    """Each Ranker's candidate count: the length of its list, which must be the same in
    every task (a labelcrew ranking has a fixed number of candidates)."""
    sizes: dict[str, int] = {}
    for control in mapping.controls:
        if control.tag != "Ranker":
            continue
        for task in tasks:
            items = task.data.get(control.source or "")
            if not isinstance(items, list):
                raise ResultProblem(
                    f"task {task.number}", f"data[{control.source!r}] must be the list to rank"
                )
            known = sizes.setdefault(control.from_name, len(items))
            if known != len(items):
                raise ResultProblem(
                    f"task {task.number}",
                    f"data[{control.source!r}] has {len(items)} items, other tasks {known}; "
                    "a labelcrew ranking has a fixed number of candidates",
                )
    return sizes
