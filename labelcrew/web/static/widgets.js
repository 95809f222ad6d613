// Label widgets shared by the annotator workspace (work.js) and the review page's corrections
// (review.js): options, ratings, rankings, text spans selected with the mouse and boxes dragged
// on the image. A widget keeps its state in the DOM (pressed buttons, list rows), so its value
// can be read back (`valueOf`) or put in (`fill`, the label a reviewer corrects) at any time.
// The server validates every value; these functions only gather and show.
"use strict";

const LabelWidgets = (function () {
  // ---- choices, ratings, rankings ----
  function press(fieldset, button) {
    const kind = fieldset.dataset.kind;
    if (kind === "multi_choice") {
      button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
    } else if (kind === "ranking") {
      if (button.disabled) return;
      const li = document.createElement("li");
      li.dataset.value = button.dataset.value;
      li.textContent = button.textContent.replace(/^\s*\d+\s*/, "");
      fieldset.querySelector(".ranking-order").appendChild(li);
      button.disabled = true;
    } else {
      fieldset.querySelectorAll(".opt").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
    }
  }
  function resetRanking(fieldset) {
    fieldset.querySelector(".ranking-order").innerHTML = "";
    fieldset.querySelectorAll(".opt").forEach((b) => (b.disabled = false));
  }
  function rankingComplete(fieldset) {
    return !fieldset.querySelector(".opt:not([disabled])");
  }
  function selectedLabel(fieldset) {
    const chip = fieldset.querySelector(".chip.selected") || fieldset.querySelector(".chip");
    return chip.dataset.label;
  }
  function chooseLabel(fieldset, chip) {
    fieldset.querySelectorAll(".chip").forEach((c) => {
      c.classList.toggle("selected", c === chip);
      c.setAttribute("aria-pressed", c === chip ? "true" : "false");
    });
  }
  function listRow(list, data, text) {
    const li = document.createElement("li");
    Object.assign(li.dataset, data);
    li.innerHTML = '<span class="tag"></span> <span class="what"></span> <button type="button" class="link" data-action="remove">remove</button>';
    li.querySelector(".tag").textContent = data.label;
    li.querySelector(".what").textContent = text;
    list.appendChild(li);
  }

  // ---- spans: select text with the mouse ----
  // Offsets are Unicode code points, as the server counts them (Python str indexing).
  function codePoints(text, utf16Offset) {
    return Array.from(text.slice(0, utf16Offset)).length;
  }
  function offsetIn(container, node, offset) {
    const range = document.createRange();
    range.setStart(container, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  function spanItems(fieldset) {
    return Array.from(fieldset.querySelectorAll(".span-list li")).map((li) => ({
      start: Number(li.dataset.start), end: Number(li.dataset.end), label: li.dataset.label,
    }));
  }
  // Marks `spans` in a .span-text element (the field's, or a read-only view of a label).
  function paintSpans(box, spans) {
    const chars = Array.from(box.dataset.text);
    box.textContent = "";
    let at = 0;
    for (const s of spans.slice().sort((a, b) => a.start - b.start)) {
      if (s.start < at) continue; // overlapping spans are listed, not nested in the text
      box.appendChild(document.createTextNode(chars.slice(at, s.start).join("")));
      const mark = document.createElement("mark");
      mark.dataset.label = s.label;
      mark.textContent = chars.slice(s.start, s.end).join("");
      box.appendChild(mark);
      at = s.end;
    }
    box.appendChild(document.createTextNode(chars.slice(at).join("")));
  }
  function addSpan(fieldset, span) {
    const text = fieldset.querySelector(".span-text").dataset.text;
    const words = Array.from(text).slice(span.start, span.end).join("");
    listRow(fieldset.querySelector(".span-list"), span, `“${words}”`);
  }
  function bindSpans(fieldset) {
    const box = fieldset.querySelector(".span-text");
    box.addEventListener("mouseup", () => {
      const selection = window.getSelection();
      if (!selection.rangeCount || selection.isCollapsed) return;
      const range = selection.getRangeAt(0);
      if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return;
      const text = box.dataset.text;
      let start = offsetIn(box, range.startContainer, range.startOffset);
      let end = offsetIn(box, range.endContainer, range.endOffset);
      while (start < end && /\s/.test(text[start])) start++; // trim selected whitespace
      while (end > start && /\s/.test(text[end - 1])) end--;
      selection.removeAllRanges();
      if (end <= start) return;
      addSpan(fieldset, { start: codePoints(text, start), end: codePoints(text, end), label: selectedLabel(fieldset) });
      paint(fieldset);
    });
  }

  // ---- boxes: drag on the image; coordinates are pixels of the image's natural size ----
  function boxItems(fieldset) {
    return Array.from(fieldset.querySelectorAll(".box-list li")).map((li) => ({
      x: Number(li.dataset.x), y: Number(li.dataset.y), w: Number(li.dataset.w), h: Number(li.dataset.h), label: li.dataset.label,
    }));
  }
  // Draws `boxes` on a .bbox-stage (the field's, or a read-only view of a label).
  function paintBoxes(stage, boxes) {
    const img = stage.querySelector("img");
    const scale = img.clientWidth / (img.naturalWidth || img.clientWidth || 1);
    stage.querySelectorAll(".box").forEach((b) => b.remove());
    for (const b of boxes) {
      const div = document.createElement("div");
      div.className = "box";
      div.dataset.label = b.label;
      Object.assign(div.style, {
        left: `${b.x * scale}px`, top: `${b.y * scale}px`, width: `${b.w * scale}px`, height: `${b.h * scale}px`,
      });
      stage.appendChild(div);
    }
  }
  function addBox(fieldset, box) {
    listRow(fieldset.querySelector(".box-list"), box, `x ${box.x}, y ${box.y}, ${box.w}×${box.h}`);
  }
  function bindBoxes(fieldset) {
    const stage = fieldset.querySelector(".bbox-stage");
    const img = stage.querySelector("img");
    let origin = null;
    let ghost = null;
    const point = (event) => {
      const rect = img.getBoundingClientRect();
      return {
        x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
        y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height),
      };
    };
    img.addEventListener("load", () => paint(fieldset));
    stage.addEventListener("mousedown", (event) => {
      event.preventDefault();
      origin = point(event);
      ghost = document.createElement("div");
      ghost.className = "box drawing";
      stage.appendChild(ghost);
    });
    window.addEventListener("mousemove", (event) => {
      if (!origin) return;
      const p = point(event);
      Object.assign(ghost.style, {
        left: `${Math.min(p.x, origin.x)}px`, top: `${Math.min(p.y, origin.y)}px`,
        width: `${Math.abs(p.x - origin.x)}px`, height: `${Math.abs(p.y - origin.y)}px`,
      });
    });
    window.addEventListener("mouseup", (event) => {
      if (!origin) return;
      const p = point(event);
      const scale = (img.naturalWidth || img.clientWidth) / img.clientWidth;
      const box = {
        x: Math.round(Math.min(p.x, origin.x) * scale), y: Math.round(Math.min(p.y, origin.y) * scale),
        w: Math.round(Math.abs(p.x - origin.x) * scale), h: Math.round(Math.abs(p.y - origin.y) * scale),
      };
      origin = null;
      ghost.remove();
      if (box.w < 2 || box.h < 2) return;
      addBox(fieldset, Object.assign(box, { label: selectedLabel(fieldset) }));
      paint(fieldset);
    });
  }

  // ---- whole fields ----
  function paint(fieldset) {
    if (fieldset.dataset.kind === "spans") paintSpans(fieldset.querySelector(".span-text"), spanItems(fieldset));
    if (fieldset.dataset.kind === "bbox") paintBoxes(fieldset.querySelector(".bbox-stage"), boxItems(fieldset));
  }

  // The field's value, or undefined when the field is left empty.
  function valueOf(fieldset) {
    const kind = fieldset.dataset.kind;
    const pressed = Array.from(fieldset.querySelectorAll('.opt[aria-pressed="true"]')).map((b) => b.dataset.value);
    if (kind === "single_choice") return pressed[0];
    if (kind === "multi_choice") return pressed.length || fieldset.dataset.required === "true" ? pressed : undefined;
    if (kind === "rating") {
      const input = fieldset.querySelector(".rating-input");
      const raw = input ? input.value : pressed[0];
      return raw === undefined || raw === "" ? undefined : Number(raw);
    }
    if (kind === "ranking") {
      const order = Array.from(fieldset.querySelectorAll(".ranking-order li")).map((li) => Number(li.dataset.value));
      return order.length ? order : undefined;
    }
    if (kind === "spans") return spanItems(fieldset);
    if (kind === "bbox") return boxItems(fieldset);
    if (kind === "text") {
      const text = fieldset.querySelector("textarea").value;
      return text === "" && fieldset.dataset.required !== "true" ? undefined : text;
    }
    return undefined;
  }

  // Puts a stored value into the field's widgets (null or undefined leaves it empty).
  function fill(fieldset, value) {
    const kind = fieldset.dataset.kind;
    if (value === null || value === undefined) return;
    const option = (v) => fieldset.querySelector(`.opt[data-value="${CSS.escape(String(v))}"]`);
    if (kind === "single_choice" || kind === "multi_choice") {
      for (const v of kind === "multi_choice" ? value : [value]) {
        const button = option(v);
        if (button) button.setAttribute("aria-pressed", "true");
      }
    } else if (kind === "rating") {
      const input = fieldset.querySelector(".rating-input");
      if (input) input.value = value;
      else fieldset.querySelectorAll(".opt").forEach((b) =>
        b.setAttribute("aria-pressed", Number(b.dataset.value) === Number(value) ? "true" : "false"));
    } else if (kind === "ranking") {
      resetRanking(fieldset);
      for (const v of value.flat()) { // tied groups are shown in order, one by one
        const button = option(v);
        if (button) press(fieldset, button);
      }
    } else if (kind === "spans") {
      value.forEach((s) => addSpan(fieldset, { start: s.start, end: s.end, label: s.label }));
      paint(fieldset);
    } else if (kind === "bbox") {
      value.forEach((b) => addBox(fieldset, { x: b.x, y: b.y, w: b.w, h: b.h, label: b.label }));
      paint(fieldset);
    } else if (kind === "text") {
      fieldset.querySelector("textarea").value = value;
    }
  }

  // Empties a field's widgets (undo puts an earlier value back with clear, then fill).
  function clear(fieldset) {
    const kind = fieldset.dataset.kind;
    if (kind === "ranking") resetRanking(fieldset);
    fieldset.querySelectorAll(".opt").forEach((b) => b.setAttribute("aria-pressed", "false"));
    fieldset.querySelectorAll(".span-list li, .box-list li").forEach((li) => li.remove());
    fieldset.querySelectorAll("textarea, .rating-input").forEach((el) => (el.value = ""));
    paint(fieldset);
  }

  // Makes every field in `container` respond to the mouse: options, label chips, "start over",
  // "remove", span selection and box drawing. Keys stay with the page (its shortcuts differ).
  function bind(container) {
    container.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      const fieldset = button && button.closest("fieldset.field");
      if (!fieldset || !container.contains(fieldset)) return;
      if (button.classList.contains("opt")) press(fieldset, button);
      else if (button.classList.contains("chip")) chooseLabel(fieldset, button);
      else if (button.dataset.action === "reset-ranking") resetRanking(fieldset);
      else if (button.dataset.action === "remove") {
        button.closest("li").remove();
        paint(fieldset);
      }
    });
    container.querySelectorAll("fieldset.field[data-kind=spans]").forEach(bindSpans);
    container.querySelectorAll("fieldset.field[data-kind=bbox]").forEach(bindBoxes);
    // Box positions follow the image's shown size.
    window.addEventListener("resize", () => container.querySelectorAll("fieldset.field[data-kind=bbox]").forEach(paint));
  }

  return { bind, clear, fill, paint, paintBoxes, paintSpans, press, rankingComplete, resetRanking, valueOf };
})();
