"""Label Studio annotation results -> labelcrew label values, exactly (the way back is
`labelstudio_export.results_from_value`, with the same conversions inverted).

A result region is `{"id", "from_name", "to_name", "type", "value", ...}`; the controls of a
`ConfigMapping` say which field each `from_name` fills. Two conversions need care:

- Text offsets. Label Studio's editor counts offsets in JavaScript string units (UTF-16 code
  units); labelcrew counts Python `str` indices (code points). They differ after any
  character outside the Basic Multilingual Plane (an emoji, many CJK extension characters).
  A region carries the text it covers (`value.text`), so the offsets are read as UTF-16 and,
  when that does not give the region's text, as code points; a region that matches neither is
  refused, naming it. Without `value.text` the offsets are read as UTF-16. Export writes
  UTF-16 offsets and the covered text.
- Boxes. Label Studio stores x, y, width and height in percent of the image; labelcrew in
  pixels. Pixels = percent * original size / 100 with the result's `original_width` and
  `original_height` (else the item's `width`/`height`), rounded to 1e-6 px so that percent ->
  pixels -> percent -> pixels is stable. A rotated box has no axis-aligned equivalent and is
  refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labelcrew.domain.importing.labelstudio_config import ConfigMapping, Control
from labelcrew.domain.schema.base import is_number

PIXEL_DIGITS = 6
ROTATION_TOLERANCE = 1e-9
REGION_KINDS = ("spans", "bbox")


class ResultProblem(Exception):
    """A region that cannot be converted; `where` names it (`result[2].value.end`)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


# -- text offsets ------------------------------------------------------------------------


def is_bmp(text: str) -> bool:
    """True when UTF-16 units and code points count the same (no surrogate pairs)."""
    return text.isascii() or all(ord(c) <= 0xFFFF for c in text)


def utf16_to_index(text: str, units: int) -> int | None:
    """The code point index of a UTF-16 offset; None when it is past the end or splits a pair."""
    encoded = text.encode("utf-16-le")
    if units < 0 or 2 * units > len(encoded):
        return None
    try:
        return len(encoded[: 2 * units].decode("utf-16-le"))
    except UnicodeDecodeError:
        return None


def index_to_utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def span_offsets(text: str, start: Any, end: Any, quoted: Any, where: str) -> tuple[int, int]:
    """Code point offsets of a Label Studio span (see the module docstring)."""
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
        raise ResultProblem(where, f"start and end must be integer offsets, not {start!r}, {end!r}")
    if is_bmp(text):
        return start, end
    low, high = utf16_to_index(text, start), utf16_to_index(text, end)
    as_units = (low, high) if low is not None and high is not None else None
    if not isinstance(quoted, str):
        if as_units is None:
            raise ResultProblem(where, f"[{start}, {end}) is not a UTF-16 range of the text")
        return as_units
    if as_units is not None and text[as_units[0] : as_units[1]] == quoted:
        return as_units
    if text[start:end] == quoted:
        return start, end
    raise ResultProblem(
        where,
        f"the region's text {quoted[:40]!r} is at [{start}, {end}) neither in UTF-16 units "
        "nor in code points",
    )


# -- boxes -------------------------------------------------------------------------------


def image_size(region: Mapping[str, Any], payload: Mapping[str, Any]) -> tuple[Any, Any]:
    width = region.get("original_width") or payload.get("width") or payload.get("image_width")
    height = region.get("original_height") or payload.get("height") or payload.get("image_height")
    return width, height


def box_pixels(value: Mapping[str, Any], width: Any, height: Any, where: str) -> dict[str, float]:
    if not (is_number(width) and is_number(height)) or width <= 0 or height <= 0:
        raise ResultProblem(
            where,
            "the box has no image size (original_width/original_height, or the item's "
            "width/height) to turn percent into pixels",
        )
    rotation = value.get("rotation") or 0
    if abs(float(rotation)) > ROTATION_TOLERANCE:
        raise ResultProblem(
            f"{where}.rotation", f"a box rotated by {rotation} degrees has no axis-aligned pixels"
        )
    out: dict[str, float] = {}
    for key, ls_key, size in (("x", "x", width), ("y", "y", height)):
        out[key] = _pixels(value, ls_key, size, where)
    for key, ls_key, size in (("w", "width", width), ("h", "height", height)):
        out[key] = _pixels(value, ls_key, size, where)
    return out


def _pixels(value: Mapping[str, Any], key: str, size: Any, where: str) -> float:
    percent = value.get(key)
    if not is_number(percent):
        raise ResultProblem(f"{where}.{key}", f"must be a number (percent), not {percent!r}")
    pixels = round(percent * size / 100, PIXEL_DIGITS)
    return int(pixels) if float(pixels).is_integer() else pixels


# -- Label Studio -> labelcrew -----------------------------------------------------------


def list_ids(payload: Mapping[str, Any], control: Control, where: str) -> list[str]:
    items = payload.get(control.source or "")
    if not isinstance(items, list):
        raise ResultProblem(where, f"the task has no list in data[{control.source!r}] to rank")
    return [str(i.get("id")) if isinstance(i, Mapping) else str(i) for i in items]


def _field_value(
    control: Control,
    regions: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]],
    payload: Mapping[str, Any],
) -> Any:
    """One field's value from its regions (where, region, region['value'])."""
    kind, tag = control.kind, control.tag
    if kind in ("single_choice", "multi_choice"):
        chosen: list[Any] = []
        for where, _, value in regions:
            got = value.get("choices")
            if not isinstance(got, list):
                raise ResultProblem(f"{where}.value.choices", f"must be a list, not {got!r}")
            chosen += got
        if kind == "single_choice":
            if len(chosen) != 1:
                raise ResultProblem(regions[0][0], f"one choice expected, got {chosen!r}")
            return chosen[0]
        return chosen
    if kind == "spans":
        # Label Studio lets a region be drawn twice; the same (start, end, label) twice says
        # nothing more, and labelcrew refuses it, so one copy is kept.
        spans = [span for r in regions for span in _spans(control, r, payload)]
        unique = {(s["start"], s["end"], s["label"]): s for s in spans}
        return list(unique.values())
    if kind == "bbox":
        boxes = []
        for where, region, value in regions:
            labels = value.get("rectanglelabels")
            if not isinstance(labels, list) or not labels:
                raise ResultProblem(f"{where}.value.rectanglelabels", "must list the box's label")
            pixels = box_pixels(value, *image_size(region, payload), where=f"{where}.value")
            boxes += [{**pixels, "label": label} for label in labels]
        return boxes
    where, _, value = regions[-1]
    if tag == "Rating":
        return value.get("rating")
    if tag == "Number":
        return value.get("number")
    if kind == "text":
        texts = value.get("text")
        if isinstance(texts, str):
            return texts
        if not isinstance(texts, list):
            raise ResultProblem(f"{where}.value.text", f"must be a list of strings, not {texts!r}")
        return "\n".join(str(t) for t in texts)
    if tag == "Pairwise":
        selected = value.get("selected")
        if selected not in ("left", "right"):
            raise ResultProblem(
                f"{where}.value.selected", f"must be left or right, not {selected!r}"
            )
        return [0, 1] if selected == "left" else [1, 0]
    if tag == "Ranker":
        buckets = value.get("ranker")
        if not isinstance(buckets, Mapping) or not buckets:
            raise ResultProblem(f"{where}.value.ranker", "must map a bucket to the ranked ids")
        order = buckets.get(control.to_name, next(iter(buckets.values())))
        ids = list_ids(payload, control, where)
        index = {item_id: i for i, item_id in enumerate(ids)}
        missing = [x for x in order if str(x) not in index]
        if missing:
            raise ResultProblem(f"{where}.value.ranker", f"ids {missing!r} are not in the list")
        return [index[str(x)] for x in order]
    raise ResultProblem(where, f"no conversion for {tag}")  # pragma: no cover - config guards


def _spans(
    control: Control,
    region: tuple[str, Mapping[str, Any], Mapping[str, Any]],
    payload: Mapping[str, Any],
) -> list[dict[str, Any]]:
    where, _, value = region
    source = control.settings.get("source", "text")
    text = payload.get(source)
    if not isinstance(text, str):
        raise ResultProblem(where, f"the task has no text in data[{source!r}]")
    if control.tag == "HyperTextLabels":
        offsets = value.get("globalOffsets") or {}
        start, end = offsets.get("start"), offsets.get("end")
        labels = value.get("hypertextlabels")
    else:
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
    if not isinstance(labels, list) or not labels:
        raise ResultProblem(f"{where}.value", "the region lists no label")
    low, high = span_offsets(text, start, end, value.get("text"), f"{where}.value")
    return [{"start": low, "end": high, "label": label} for label in labels]


def value_from_results(
    mapping: ConfigMapping,
    results: Any,
    payload: Mapping[str, Any],
    *,
    regions_default: bool = True,
) -> tuple[dict[str, Any], set[str]]:
    """A labelcrew value from one annotation's result list, and the from_names not mapped."""
    if not isinstance(results, list):
        raise ResultProblem("result", "must be a list of regions")
    controls = mapping.by_from_name()
    grouped: dict[str, list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]] = {}
    skipped: set[str] = set()
    for i, region in enumerate(results):
        where = f"result[{i}]"
        if not isinstance(region, Mapping):
            raise ResultProblem(where, "must be an object")
        from_name = region.get("from_name")
        if not isinstance(from_name, str) or from_name not in controls:
            skipped.add(str(region.get("type") if from_name is None else from_name))
            continue
        value = region.get("value")
        if not isinstance(value, Mapping):
            raise ResultProblem(f"{where}.value", "must be an object")
        grouped.setdefault(from_name, []).append((where, region, value))
    out = {
        controls[name].field: _field_value(controls[name], regions, payload)
        for name, regions in grouped.items()
    }
    if regions_default:
        # A submitted annotation without regions of a region control says "none here", so
        # it is the empty list, not a missing value (a prediction may cover only some fields).
        for control in mapping.controls:
            if control.kind in REGION_KINDS:
                out.setdefault(control.field, [])
    return out, skipped


def regions_from_min(control: Control, raw: Any) -> list[dict[str, Any]]:
    """Result regions from a JSON_MIN / CSV cell (Label Studio flattens single choices and
    single texts to a string, a rating to its number)."""
    tag = control.tag
    if raw is None or raw == "":
        return []
    if isinstance(raw, Mapping):
        values: list[Any] = [raw]
    elif isinstance(raw, list) and all(isinstance(v, Mapping) for v in raw):
        values = list(raw)
    elif tag == "Choices":
        values = [{"choices": raw if isinstance(raw, list) else [raw]}]
    elif tag == "TextArea":
        values = [{"text": raw if isinstance(raw, list) else [raw]}]
    elif tag in ("Rating", "Number"):
        values = [{tag.lower(): raw}]
    elif tag == "Pairwise":
        values = [{"selected": raw}]
    elif tag == "Ranker" and isinstance(raw, list):
        values = [{"ranker": {control.to_name: raw}}]
    else:
        raise ResultProblem(control.from_name, f"cannot read {raw!r} as a {tag} value")
    regions = []
    for value in values:
        value = dict(value)
        region: dict[str, Any] = {"from_name": control.from_name, "type": control.result_type}
        for key in ("original_width", "original_height"):
            if key in value:
                region[key] = value.pop(key)
        region["value"] = value
        regions.append(region)
    return regions
