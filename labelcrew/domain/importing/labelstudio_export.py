"""labelcrew items and labels as Label Studio tasks (JSON export format), and a labeling
config for a schema that did not come from Label Studio.

A project imported from Label Studio keeps its config mapping, so its export speaks the same
`from_name`s and the same config. Any other project gets one built from its schema:

| labelcrew      | Label Studio                                                       |
|----------------|--------------------------------------------------------------------|
| single_choice  | Choices (single)                                                   |
| multi_choice   | Choices choice="multiple"                                          |
| rating         | Rating maxRating=max when the scale is 1..max step 1, else Number  |
| ranking        | Pairwise for 2 candidates; else Ranker over the list `data[<field>_candidates]` (ids "0".."n-1" added when the item has no list) |
| spans          | Labels on Text `$<source>`                                         |
| bbox           | RectangleLabels on Image `$<source>`                               |
| text           | TextArea                                                           |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from labelcrew.domain.importing.labelstudio_config import ConfigMapping, Control
from labelcrew.domain.importing.labelstudio_results import (
    ResultProblem,
    image_size,
    index_to_utf16,
    list_ids,
)
from labelcrew.domain.schema.base import Field, is_number
from labelcrew.domain.schema.fields import Ranking, Rating
from labelcrew.domain.schema.label_schema import LabelSchema

OBJECT_OF_KIND = {"spans": "Text", "bbox": "Image"}


def box_percent(box: Mapping[str, Any], width: Any, height: Any) -> dict[str, float]:
    return {
        "x": box["x"] * 100 / width,
        "y": box["y"] * 100 / height,
        "width": box["w"] * 100 / width,
        "height": box["h"] * 100 / height,
        "rotation": 0,
    }


def results_from_value(
    mapping: ConfigMapping,
    value: Mapping[str, Any],
    payload: Mapping[str, Any],
    prefix: str,
    left_out: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The result regions of one labelcrew value; region ids are `prefix` + a counter. A field
    that cannot be written (a box without the image size) raises, or with `left_out` is
    recorded there (field -> why) and the other fields are still written."""
    out: list[dict[str, Any]] = []
    for control in mapping.controls:
        given = value.get(control.field)
        if given is None:
            continue
        try:
            regions = _regions(control, given, payload)
        except ResultProblem as exc:
            if left_out is None:
                raise
            left_out[control.field] = exc.message
            continue
        for body, extra in regions:
            out.append(
                {
                    "id": f"{prefix}{len(out)}",
                    "from_name": control.from_name,
                    "to_name": control.from_name if control.tag == "Pairwise" else control.to_name,
                    "type": control.result_type,
                    "origin": "manual",
                    **extra,
                    "value": body,
                }
            )
    return out


def _regions(
    control: Control, given: Any, payload: Mapping[str, Any]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    kind, tag = control.kind, control.tag
    if kind == "single_choice":
        return [({"choices": [given]}, {})]
    if kind == "multi_choice":
        return [({"choices": list(given)}, {})] if given else []
    if kind == "spans":
        text = payload.get(control.settings.get("source", "text"))
        text = text if isinstance(text, str) else ""
        regions: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for span in given:
            start, end = index_to_utf16(text, span["start"]), index_to_utf16(text, span["end"])
            quoted = text[span["start"] : span["end"]]
            body: dict[str, Any]
            if tag == "HyperTextLabels":
                body = {
                    "start": "",
                    "end": "",
                    "globalOffsets": {"start": start, "end": end},
                    "text": quoted,
                    "hypertextlabels": [span["label"]],
                }
            else:
                body = {"start": start, "end": end, "text": quoted, "labels": [span["label"]]}
            regions.append((body, {}))
        return regions
    if kind == "bbox":
        width, height = image_size({}, payload)
        if not (is_number(width) and is_number(height)):
            raise ResultProblem(control.field, "the item has no width/height to write percent")
        size = {"original_width": width, "original_height": height, "image_rotation": 0}
        return [
            ({**box_percent(box, width, height), "rectanglelabels": [box["label"]]}, size)
            for box in given
        ]
    if tag == "Rating":
        return [({"rating": given}, {})]
    if tag == "Number":
        return [({"number": given}, {})]
    if kind == "text":
        return [({"text": [given]}, {})]
    if tag == "Pairwise":
        return [({"selected": "left" if list(given) == [0, 1] else "right"}, {})]
    if tag == "Ranker":
        ids = list_ids(payload, control, control.field)
        flat = [i for entry in given for i in (entry if isinstance(entry, list) else [entry])]
        return [({"ranker": {control.to_name: [ids[i] for i in flat]}}, {})]
    raise ResultProblem(control.field, f"no conversion for {tag}")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class LabelOut:
    """One label to write as a Label Studio annotation."""

    annotation_id: int | str
    email: str
    display_name: str
    value: Mapping[str, Any]
    ground_truth: bool = False
    lead_time: float | None = None


def _control(f: Field, objects: dict[str, str]) -> Control:
    kind, name = f.kind, f.name
    settings = {k: v for k, v in f.to_dict().items() if k not in ("name", "kind", "required")}
    settings.pop("description", None)
    if kind in OBJECT_OF_KIND:
        source = str(settings["source"])
        tag = "Labels" if kind == "spans" else "RectangleLabels"
        to_name = objects.setdefault(source, f"{source}")
        return Control(
            name, name, tag, to_name, OBJECT_OF_KIND[kind], source, kind, settings, f.required
        )
    # Choices, ratings and texts point at the first object (or a Text on `text`).
    to_name = next(iter(objects), "text")
    if kind in ("single_choice", "multi_choice"):
        return Control(name, name, "Choices", to_name, "Text", None, kind, settings, f.required)
    if isinstance(f, Rating):
        stars = f.min == 1 and f.step == 1 and float(f.max).is_integer()
        tag = "Rating" if stars else "Number"
        return Control(name, name, tag, to_name, "Text", None, kind, settings, f.required)
    if isinstance(f, Ranking):
        if f.candidates == 2 and not f.allow_ties:
            return Control(
                name,
                name,
                "Pairwise",
                f"{name}_left,{name}_right",
                "Text",
                None,
                kind,
                settings,
                f.required,
            )
        list_name = f"{name}_candidates"
        return Control(
            name, name, "Ranker", list_name, "List", list_name, kind, settings, f.required
        )
    return Control(name, name, "TextArea", to_name, "Text", None, kind, settings, f.required)


def mapping_for_schema(schema: LabelSchema) -> ConfigMapping:
    objects: dict[str, str] = {}
    for f in schema.fields:
        if f.kind in OBJECT_OF_KIND:
            source = str(f.to_dict()["source"])
            objects.setdefault(source, source)
    controls = tuple(_control(f, objects) for f in schema.fields)
    mapping = ConfigMapping(controls, ())
    return ConfigMapping(controls, (), config_xml(mapping))


def config_xml(mapping: ConfigMapping) -> str:
    """A labeling config for the mapping's controls (the stored one when imported)."""
    if mapping.xml:
        return mapping.xml
    lines = ["<View>"]
    objects: dict[str, tuple[str, str | None]] = {}
    for c in mapping.controls:
        for name in c.to_name.split(","):
            if c.tag == "Pairwise":
                objects.setdefault(name, ("Text", f"${name}"))
            else:
                objects.setdefault(name, (c.object_tag, f"${c.source or name}"))
    for name, (tag, value) in objects.items():
        lines.append(f"  <{tag} name={quoteattr(name)} value={quoteattr(value or '')}/>")
    for c in mapping.controls:
        req = ' required="true"' if c.required else ""
        attrs = f"name={quoteattr(c.from_name)} toName={quoteattr(c.to_name)}{req}"
        if c.tag == "Choices":
            multiple = ' choice="multiple"' if c.kind == "multi_choice" else ""
            lines.append(f"  <Choices {attrs}{multiple}>")
            lines += [f"    <Choice value={quoteattr(o)}/>" for o in c.settings["options"]]
            lines.append("  </Choices>")
        elif c.tag in ("Labels", "RectangleLabels"):
            lines.append(f"  <{c.tag} {attrs}>")
            lines += [f"    <Label value={quoteattr(o)}/>" for o in c.settings["labels"]]
            lines.append(f"  </{c.tag}>")
        elif c.tag == "Rating":
            lines.append(f'  <Rating {attrs} maxRating="{int(c.settings["max"])}"/>')
        elif c.tag == "Number":
            step = c.settings.get("step")
            extra = f' step="{step}"' if step is not None else ""
            lines.append(
                f'  <Number {attrs} min="{c.settings["min"]}" max="{c.settings["max"]}"{extra}/>'
            )
        else:
            lines.append(f"  <{c.tag} {attrs}/>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def task_data(mapping: ConfigMapping, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The item's data, with what a generated config needs and the item lacks: the list a
    Ranker ranks (ids "0".."n-1") and the two sides of a Pairwise (empty texts)."""
    data = dict(payload)
    if mapping.xml and all(c.tag != "Ranker" or c.source in data for c in mapping.controls):
        return data
    for c in mapping.controls:
        if c.tag == "Ranker" and not isinstance(data.get(c.source or ""), list):
            data[c.source or c.to_name] = [
                {"id": str(i), "title": str(i)} for i in range(int(c.settings["candidates"]))
            ]
        if c.tag == "Pairwise":
            for side in c.to_name.split(","):
                data.setdefault(side, "")
    return data


def build_task(
    mapping: ConfigMapping,
    *,
    task_id: int,
    external_id: str,
    payload: Mapping[str, Any],
    labels: Sequence[LabelOut],
    predictions: Sequence[tuple[str, float | None, Mapping[str, Any]]] = (),
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One task of a Label Studio JSON export: each label an annotation with its regions."""
    data = task_data(mapping, payload)
    left_out: dict[str, str] = {}
    annotations = [
        {
            "id": label.annotation_id,
            "completed_by": {
                "email": label.email,
                "first_name": label.display_name,
                "last_name": "",
            },
            "result": results_from_value(mapping, label.value, data, f"lc{task_id}_{n}_", left_out),
            "was_cancelled": False,
            "ground_truth": label.ground_truth,
            "lead_time": label.lead_time,
        }
        for n, label in enumerate(labels)
    ]
    predicted = [
        {
            "model_version": version,
            "score": score,
            "result": results_from_value(mapping, value, data, f"lc{task_id}_p{n}_", left_out),
        }
        for n, (version, score, value) in enumerate(predictions)
    ]
    extra = {"not_exported": left_out} if left_out else {}
    return {
        # The item id, as Label Studio's own ids are numbers; the importer reads the external
        # id back from meta.
        "id": task_id,
        "data": data,
        "annotations": annotations,
        "predictions": predicted,
        "meta": {"external_id": external_id, "labelcrew_item_id": task_id, **(meta or {}), **extra},
    }
