"""A Label Studio labeling config (XML) turned into a labelcrew label schema.

Each control tag (a tag with `toName`) becomes one field, named after its `name` (made
identifier-like when it is not); layout tags (View, Header, Style, ...) are skipped, and
object tags (Text, HyperText, Image, List, ...) give the payload key the control points at
(`value="$text"` -> `text`). What cannot become a field is listed with the reason, never
dropped silently:

| Label Studio                          | labelcrew                                        |
|---------------------------------------|--------------------------------------------------|
| Choices (single, single-radio)        | single_choice (multi_choice, at most 1, for 1 option) |
| Choices choice="multiple"             | multi_choice                                     |
| Labels on Text                        | spans (source: the Text's key; overlaps allowed, as in Label Studio) |
| HyperTextLabels on HyperText          | spans over the page's text (source `<key>_text`, filled in on import) |
| RectangleLabels on Image              | bbox (pixels)                                    |
| Rating maxRating=N                    | rating 1..N, step 1                              |
| Number min max [step]                 | rating min..max                                  |
| TextArea                              | text                                             |
| Ranker on List (no buckets)           | ranking over the list's items, in list order     |
| Pairwise                              | ranking of 2 candidates (left = 0, right = 1)    |

`required="true"` becomes a required field; every other field is optional, as a control is
in Label Studio. Per-region controls (`perRegion`), dynamic choices (`value="$..."`) and tags
labelcrew has no kind for (polygons, key points, brushes, taxonomies, relations, time series,
video, audio regions) are reported as unmapped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import ValidationFailed

OBJECT_TAGS = frozenset(
    {
        "Text",
        "HyperText",
        "Image",
        "List",
        "Paragraphs",
        "Audio",
        "AudioPlus",
        "Video",
        "Table",
        "TimeSeries",
        "Markdown",
        "PDF",
    }
)
# Control tags labelcrew has no field kind for, and why.
NO_KIND = {
    "PolygonLabels": "labelcrew has no polygon field kind",
    "Polygon": "labelcrew has no polygon field kind",
    "KeyPointLabels": "labelcrew has no key point field kind",
    "KeyPoint": "labelcrew has no key point field kind",
    "BrushLabels": "labelcrew has no brush (mask) field kind",
    "Brush": "labelcrew has no brush (mask) field kind",
    "EllipseLabels": "labelcrew has no ellipse field kind",
    "Ellipse": "labelcrew has no ellipse field kind",
    "Rectangle": "a Rectangle without labels has no label to store; use RectangleLabels",
    "ParagraphLabels": "labelcrew spans mark one text, not dialogue paragraphs",
    "TimeSeriesLabels": "labelcrew has no time series field kind",
    "VideoRectangle": "labelcrew has no video field kind",
    "Taxonomy": "labelcrew has no taxonomy field kind (flatten it into Choices)",
    "DateTime": "labelcrew has no date field kind",
    "Relations": "labelcrew has no relation field kind",
    "Relation": "labelcrew has no relation field kind",
    "MagicWand": "labelcrew has no mask field kind",
}
TRUE = ("true", "1", "yes")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True, slots=True)
class Control:
    """One Label Studio control mapped to one labelcrew field."""

    from_name: str  # the control's name in Label Studio
    field: str  # the labelcrew field name
    tag: str  # Choices, Labels, ...
    to_name: str  # the object tag's name
    object_tag: str  # Text, Image, ...
    source: str | None  # the payload key of the object (`$text` -> text)
    kind: str  # labelcrew field kind
    settings: dict[str, Any] = dataclass_field(default_factory=dict)
    required: bool = False

    @property
    def result_type(self) -> str:
        """The `type` of this control's regions in a Label Studio annotation result."""
        return self.tag.lower()

    def definition(self) -> dict[str, Any]:
        return {"name": self.field, "kind": self.kind, "required": self.required, **self.settings}


@dataclass(frozen=True, slots=True)
class Unmapped:
    name: str
    tag: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConfigMapping:
    """What a config became: the fields (controls, in config order) and what did not map."""

    controls: tuple[Control, ...]
    unmapped: tuple[Unmapped, ...]
    xml: str = ""

    def definition(self) -> dict[str, Any]:
        return {"fields": [c.definition() for c in self.controls]}

    def schema(self) -> LabelSchema:
        if not self.controls:
            reasons = "; ".join(f"{u.tag} {u.name!r}: {u.reason}" for u in self.unmapped)
            raise ValidationFailed(
                "the labeling config has no control labelcrew can store"
                + (f" ({reasons})" if reasons else ""),
                code="labelstudio_config",
                field="config",
            )
        return LabelSchema.parse(self.definition())

    def by_from_name(self) -> dict[str, Control]:
        return {c.from_name: c for c in self.controls}

    def by_field(self) -> dict[str, Control]:
        return {c.field: c for c in self.controls}

    def with_candidates(self, counts: Mapping[str, int]) -> ConfigMapping:
        """Rankers' candidate counts, known only from the tasks' lists."""
        controls = tuple(
            replace(c, settings={**c.settings, "candidates": counts[c.from_name]})
            if c.tag == "Ranker" and c.from_name in counts
            else c
            for c in self.controls
        )
        return replace(self, controls=controls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "controls": [asdict(c) for c in self.controls],
            "unmapped": [asdict(u) for u in self.unmapped],
            "xml": self.xml,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ConfigMapping:
        return cls(
            tuple(Control(**c) for c in raw.get("controls", [])),
            tuple(Unmapped(**u) for u in raw.get("unmapped", [])),
            str(raw.get("xml", "")),
        )


def _flag(tag: Element, key: str) -> bool:
    return (tag.get(key) or "").strip().lower() in TRUE


def _variable(value: str | None) -> str | None:
    """`$text` -> `text`; a literal value (no `$`) has no payload key."""
    if value and value.startswith("$") and len(value) > 1:
        return value[1:]
    return None


def _field_name(name: str, taken: set[str]) -> str:
    base = _NOT_NAME.sub("_", name)[:60] or "field"
    if not (base[0].isalpha() or base[0] == "_"):
        base = f"f_{base}"[:60]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _children(tag: Element, child: str) -> list[str]:
    # A Choice or Label with an alias is stored under the alias in results.
    return [c.get("alias") or c.get("value") or "" for c in tag.iter(child)]


def _number(tag: Element, key: str) -> float | int | None:
    raw = tag.get(key)
    if raw is None or not raw.strip():
        return None
    try:
        number = float(raw)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _map(tag: Element, target: Element) -> tuple[str, dict[str, Any]] | str:
    """(kind, settings) for a control pointed at `target`, or the reason it does not map."""
    name, kind_of_target = tag.tag, target.tag
    if _flag(tag, "perRegion"):
        return "per-region controls describe one region each; labelcrew fields describe the item"
    if name == "Choices":
        if _variable(tag.get("value")):
            return "choices taken from the task data differ per item; a schema needs fixed options"
        options = _children(tag, "Choice")
        if not options:
            return "has no Choice options"
        if tag.get("choice", "single") == "multiple":
            return "multi_choice", {"options": options}
        if len(options) < 2:
            return "multi_choice", {"options": options, "max_selected": 1}
        return "single_choice", {"options": options}
    if name in ("Labels", "HyperTextLabels"):
        wanted = "Text" if name == "Labels" else "HyperText"
        if kind_of_target != wanted:
            return (
                f"{name} on a {kind_of_target} is not a text span; labelcrew spans mark a {wanted}"
            )
        labels = _children(tag, "Label")
        if not labels:
            return "has no Label values"
        source = _variable(target.get("value")) or "text"
        if name == "HyperTextLabels":
            source = f"{source}_text"
        return "spans", {"labels": labels, "source": source, "allow_overlap": True}
    if name == "RectangleLabels":
        if kind_of_target != "Image":
            return f"RectangleLabels on a {kind_of_target}; labelcrew boxes mark an Image"
        labels = _children(tag, "Label")
        if not labels:
            return "has no Label values"
        return "bbox", {"labels": labels, "source": _variable(target.get("value")) or "image"}
    if name == "Rating":
        top = _number(tag, "maxRating") or 5
        if not isinstance(top, int) or top < 2:
            return f"maxRating {tag.get('maxRating')!r} is not a whole number of at least 2"
        return "rating", {"min": 1, "max": top, "step": 1}
    if name == "Number":
        low, high = _number(tag, "min"), _number(tag, "max")
        if low is None or high is None or high <= low:
            return "a Number without min and max has no scale; labelcrew ratings need both"
        step = _number(tag, "step")
        return "rating", {"min": low, "max": high, "step": step}
    if name == "TextArea":
        return "text", {}
    if name == "Ranker":
        if kind_of_target != "List":
            return f"Ranker on a {kind_of_target}; labelcrew ranks the items of a List"
        if list(tag.iter("Bucket")):
            return "buckets sort items into groups; labelcrew rankings are one order"
        return "ranking", {}
    if name == "Pairwise":
        return "ranking", {"candidates": 2}
    return NO_KIND.get(name, f"labelcrew has no field kind for {name}")


def parse_config(xml: str) -> ConfigMapping:
    """The fields a labeling config maps to, and the controls that do not map (with why)."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValidationFailed(
            f"the labeling config is not valid XML: {exc}",
            code="labelstudio_config",
            field="config",
        ) from None
    objects = {t.get("name", ""): t for t in root.iter() if t.tag in OBJECT_TAGS}
    controls: list[Control] = []
    unmapped: list[Unmapped] = []
    taken: set[str] = set()
    for tag in root.iter():
        to_name = tag.get("toName")
        if to_name is None or tag.tag in OBJECT_TAGS:
            continue
        name = tag.get("name") or ""
        if not name:
            unmapped.append(Unmapped("", tag.tag, "has no name"))
            continue
        # Pairwise points at two objects ("text1,text2"); every other control at one.
        first = to_name.split(",")[0].strip()
        target = objects.get(first)
        if target is None:
            unmapped.append(Unmapped(name, tag.tag, f"toName {to_name!r} names no object tag"))
            continue
        mapped = _map(tag, target)
        if isinstance(mapped, str):
            unmapped.append(Unmapped(name, tag.tag, mapped))
            continue
        kind, settings = mapped
        controls.append(
            Control(
                from_name=name,
                field=_field_name(name, taken),
                tag=tag.tag,
                to_name=to_name,
                object_tag=target.tag,
                source=_variable(target.get("value")),
                kind=kind,
                settings=settings,
                required=_flag(tag, "required"),
            )
        )
    return ConfigMapping(tuple(controls), tuple(unmapped), xml)
