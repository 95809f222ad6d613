// The annotator workspace: widgets for each field kind, the keyboard, submit and skip through
// the JSON API (session cookie + X-CSRF-Token). The server validates every value; this file
// only gathers what the annotator picked and shows the server's answer.
"use strict";

(function () {
  const form = document.getElementById("label-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const project = form.dataset.project;
  const item = form.dataset.item;
  const message = document.getElementById("message");
  const help = document.getElementById("help");
  const fields = Array.from(form.querySelectorAll("fieldset.field"));
  let busy = false;

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "ok";
  }

  async function api(method, path, body, headers) {
    const response = await fetch(`/api/v1/projects/${project}${path}`, {
      method,
      credentials: "same-origin",
      headers: Object.assign(
        { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        headers || {}
      ),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json();
    return { ok: response.ok, status: response.status, data };
  }

  // ---- active field (number keys act on it) ----
  function activeField() {
    return form.querySelector("fieldset.field.active") || fields[0];
  }
  function activate(fieldset) {
    fields.forEach((f) => f.classList.toggle("active", f === fieldset));
  }
  function moveActive(step) {
    const i = fields.indexOf(activeField());
    const next = fields[(i + step + fields.length) % fields.length];
    activate(next);
    if (next.dataset.kind === "text") next.querySelector("textarea").focus();
  }
  fields.forEach((f) => f.addEventListener("mousedown", () => activate(f)));

  // ---- choices, ratings, rankings ----
  function press(fieldset, button) {
    const kind = fieldset.dataset.kind;
    if (kind === "multi_choice") {
      button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
    } else if (kind === "ranking") {
      const order = fieldset.querySelector(".ranking-order");
      if (button.disabled) return;
      const li = document.createElement("li");
      li.dataset.value = button.dataset.value;
      li.textContent = button.textContent.replace(/^\s*\d+\s*/, "");
      order.appendChild(li);
      button.disabled = true;
    } else {
      fieldset.querySelectorAll(".opt").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
    }
  }
  function resetRanking(fieldset) {
    fieldset.querySelector(".ranking-order").innerHTML = "";
    fieldset.querySelectorAll(".opt").forEach((b) => (b.disabled = false));
  }
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const fieldset = button.closest("fieldset.field");
    if (button.classList.contains("opt")) press(fieldset, button);
    else if (button.classList.contains("chip")) {
      fieldset.querySelectorAll(".chip").forEach((c) => {
        c.classList.toggle("selected", c === button);
        c.setAttribute("aria-pressed", c === button ? "true" : "false");
      });
    } else if (button.dataset.action === "reset-ranking") resetRanking(fieldset);
    else if (button.dataset.action === "remove") {
      button.closest("li").remove();
      if (fieldset.dataset.kind === "spans") paintSpans(fieldset);
      else paintBoxes(fieldset);
    } else if (button.dataset.action === "skip") skip();
  });
  document.querySelector('[data-action="help"]').addEventListener("click", () => toggleHelp());

  function selectedLabel(fieldset) {
    const chip = fieldset.querySelector(".chip.selected") || fieldset.querySelector(".chip");
    return chip.dataset.label;
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
  function paintSpans(fieldset) {
    const box = fieldset.querySelector(".span-text");
    const text = box.dataset.text;
    const chars = Array.from(text);
    const spans = spanItems(fieldset).sort((a, b) => a.start - b.start);
    box.textContent = "";
    let at = 0;
    for (const s of spans) {
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
  function addSpan(fieldset, start, end, label) {
    const text = fieldset.querySelector(".span-text").dataset.text;
    const li = document.createElement("li");
    Object.assign(li.dataset, { start, end, label });
    const words = Array.from(text).slice(start, end).join("");
    li.innerHTML = '<span class="tag"></span> <q></q> <button type="button" class="link" data-action="remove">remove</button>';
    li.querySelector(".tag").textContent = label;
    li.querySelector("q").textContent = words;
    fieldset.querySelector(".span-list").appendChild(li);
    paintSpans(fieldset);
  }
  form.querySelectorAll("fieldset[data-kind=spans] .span-text").forEach((box) => {
    box.addEventListener("mouseup", () => {
      const selection = window.getSelection();
      if (!selection.rangeCount || selection.isCollapsed) return;
      const range = selection.getRangeAt(0);
      if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return;
      const fieldset = box.closest("fieldset");
      const text = box.dataset.text;
      let start = offsetIn(box, range.startContainer, range.startOffset);
      let end = offsetIn(box, range.endContainer, range.endOffset);
      while (start < end && /\s/.test(text[start])) start++; // trim selected whitespace
      while (end > start && /\s/.test(text[end - 1])) end--;
      selection.removeAllRanges();
      if (end > start) addSpan(fieldset, codePoints(text, start), codePoints(text, end), selectedLabel(fieldset));
    });
  });

  // ---- boxes: drag on the image ----
  function boxItems(fieldset) {
    return Array.from(fieldset.querySelectorAll(".box-list li")).map((li) => ({
      x: Number(li.dataset.x), y: Number(li.dataset.y), w: Number(li.dataset.w), h: Number(li.dataset.h), label: li.dataset.label,
    }));
  }
  function paintBoxes(fieldset) {
    const stage = fieldset.querySelector(".bbox-stage");
    const img = stage.querySelector("img");
    const scale = img.clientWidth / (img.naturalWidth || img.clientWidth || 1);
    stage.querySelectorAll(".box").forEach((b) => b.remove());
    for (const b of boxItems(fieldset)) {
      const div = document.createElement("div");
      div.className = "box";
      div.dataset.label = b.label;
      Object.assign(div.style, {
        left: `${b.x * scale}px`, top: `${b.y * scale}px`, width: `${b.w * scale}px`, height: `${b.h * scale}px`,
      });
      stage.appendChild(div);
    }
  }
  form.querySelectorAll("fieldset[data-kind=bbox] .bbox-stage").forEach((stage) => {
    const fieldset = stage.closest("fieldset");
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
      const li = document.createElement("li");
      Object.assign(li.dataset, box, { label: selectedLabel(fieldset) });
      li.innerHTML = '<span class="tag"></span> <span class="coords"></span> <button type="button" class="link" data-action="remove">remove</button>';
      li.querySelector(".tag").textContent = li.dataset.label;
      li.querySelector(".coords").textContent = `x ${box.x}, y ${box.y}, ${box.w}×${box.h}`;
      fieldset.querySelector(".box-list").appendChild(li);
      paintBoxes(fieldset);
    });
  });

  // ---- gather the value and talk to the API ----
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
  function value() {
    const out = {};
    for (const f of fields) {
      const v = valueOf(f);
      if (v !== undefined) out[f.dataset.name] = v;
    }
    return out;
  }

  async function submit() {
    if (busy) return;
    busy = true;
    say("Saving…", false);
    try {
      const result = await api("POST", `/items/${item}/annotations`, { value: value() }, { "Idempotency-Key": form.dataset.key });
      if (result.ok) {
        say("Saved. Loading the next item…", false);
        window.location.reload();
        return;
      }
      say(result.data.message || `error ${result.status}`, true);
      const bad = result.data.field && fields.find((f) => result.data.field.split(/[.[]/)[0] === f.dataset.name);
      if (bad) activate(bad);
    } catch (err) {
      say(`Network problem: ${err}. Your label was not confirmed; press Enter to retry.`, true);
    }
    busy = false;
  }
  async function skip() {
    if (busy) return;
    busy = true;
    const result = await api("POST", `/items/${item}/skip`);
    if (result.ok) window.location.reload();
    else {
      say(result.data.message || `error ${result.status}`, true);
      busy = false;
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  // ---- rules search ----
  const search = document.getElementById("rule-search");
  search.addEventListener("input", () => {
    const needle = search.value.trim().toLowerCase();
    document.querySelectorAll("#rules li").forEach((li) => {
      li.hidden = needle !== "" && !li.textContent.toLowerCase().includes(needle);
    });
  });

  function toggleHelp(show) {
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  // ---- keyboard ----
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.closest(".extras")) { // the question and comment forms keep their keys
      if (event.key === "Escape") target.blur();
      return;
    }
    const typing = target.matches("textarea, input:not([type=hidden])");
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing) target.blur();
      return;
    }
    if (typing) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey || target.tagName === "INPUT") && target !== search) {
        event.preventDefault();
        submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (!help.hidden) return;
    if (event.key === "Enter") { event.preventDefault(); submit(); return; }
    if (event.key === "s" || event.key === "S") { event.preventDefault(); skip(); return; }
    if (event.key === "/") { event.preventDefault(); search.focus(); return; }
    if (event.key === "ArrowDown" || event.key === "j") { event.preventDefault(); moveActive(1); return; }
    if (event.key === "ArrowUp" || event.key === "k") { event.preventDefault(); moveActive(-1); return; }
    const active = activeField();
    if (event.key === "Backspace" && active.dataset.kind === "ranking") { resetRanking(active); return; }
    // A field's own hotkeys win anywhere; plain number keys go to the highlighted field.
    const own = fields.find((f) => f !== active && f.querySelector(`.opt[data-key="${CSS.escape(event.key)}"]`) && !/^[0-9]$/.test(event.key));
    const fieldset = own || active;
    const button = fieldset.querySelector(`.opt[data-key="${CSS.escape(event.key)}"]`);
    if (button) {
      event.preventDefault();
      activate(fieldset);
      press(fieldset, button);
      const kind = fieldset.dataset.kind;
      const done = kind === "single_choice" || kind === "rating" || (kind === "ranking" && !fieldset.querySelector(".opt:not([disabled])"));
      // Move on to the next field that keys can fill; text boxes are entered with the arrows.
      const next = fields.slice(fields.indexOf(fieldset) + 1).find((f) => f.dataset.kind !== "text");
      if (done && next) activate(next);
    }
  });
})();

// Beside the item: ask a question (an escalation, level 1), the item's comment thread, and
// the annotator's own feedback (reviews of their labels) and questions with their answers.
(function () {
  const panels = document.getElementById("my-panels");
  if (!panels) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const base = `/api/v1/projects/${panels.dataset.project}`;
  const extras = document.getElementById("item-extras");

  async function call(method, path, body) {
    const response = await fetch(base + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { ok: response.ok, status: response.status, data: await response.json() };
  }
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function tell(box, result, text) {
    box.textContent = result.ok ? text : result.data.message || `error ${result.status}`;
    box.className = result.ok ? "ok" : "error";
  }
  const when = (iso) => (iso || "").slice(0, 16).replace("T", " ");
  const shown = (value) => (typeof value === "string" ? value : JSON.stringify(value));

  async function loadComments() {
    const list = extras.querySelector(".comments");
    const result = await call("GET", `/items/${extras.dataset.item}/comments`);
    if (!result.ok) return;
    list.textContent = "";
    for (const c of result.data) {
      const li = el("li");
      li.append(el("strong", c.author), " ", el("span", when(c.created_at), "muted small"), el("div", c.body));
      list.appendChild(li);
    }
    if (!result.data.length) list.appendChild(el("li", "No comments yet.", "muted"));
  }

  async function loadQuestions() {
    const list = panels.querySelector(".question-list");
    const result = await call("GET", "/escalations");
    if (!result.ok) return;
    list.textContent = "";
    for (const t of result.data) {
      const li = el("li");
      li.append(el("span", t.state, "badge"), ` item ${t.item_id}${t.rule_number ? `, rule ${t.rule_number}` : ""}: `, el("q", t.question));
      if (t.answer) li.appendChild(el("div", `Answer: ${t.answer}`));
      if (t.ruling) li.appendChild(el("div", `Ruling${t.ruling_rule ? ` (rule ${t.ruling_rule})` : ""}: ${t.ruling}`));
      list.appendChild(li);
    }
    if (!result.data.length) list.appendChild(el("li", "You have asked nothing yet.", "muted"));
  }

  async function loadFeedback() {
    const list = panels.querySelector(".feedback-list");
    const result = await call("GET", "/my/feedback?limit=50");
    if (!result.ok) return;
    list.textContent = "";
    for (const r of result.data) {
      const li = el("li");
      li.append(el("span", r.verdict, `badge verdict-${r.verdict}`), ` item ${r.item_id} by ${r.reviewer} `, el("span", when(r.created_at), "muted small"));
      li.appendChild(el("div", `Your label: ${shown(r.your_value)}`, "small"));
      if (r.corrected_value) li.appendChild(el("div", `Correction: ${shown(r.corrected_value)}`, "small"));
      if (r.error_tags.length) li.appendChild(el("div", `Tags: ${r.error_tags.map((t) => t.name).join(", ")}`, "small"));
      for (const rule of r.rules) {
        li.appendChild(el("div", `Rule ${rule.number}${rule.title ? ` ${rule.title}` : ""}: ${rule.text || "(not in that guideline version)"}`, "small"));
      }
      if (r.comment) li.appendChild(el("blockquote", r.comment));
      list.appendChild(li);
    }
    if (!result.data.length) list.appendChild(el("li", "No reviews of your labels yet.", "muted"));
  }

  if (extras) {
    document.getElementById("ask-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const body = { question: form.question.value };
      if (form.rule_number.value) body.rule_number = form.rule_number.value;
      const result = await call("POST", `/items/${extras.dataset.item}/escalations`, body);
      tell(form.querySelector("[role=status]"), result, "Question sent to a reviewer.");
      if (result.ok) {
        form.question.value = "";
        loadQuestions();
      }
    });
    document.getElementById("comment-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const result = await call("POST", `/items/${extras.dataset.item}/comments`, { body: form.body.value });
      tell(form.querySelector("[role=status]"), result, "Comment added.");
      if (result.ok) {
        form.body.value = "";
        loadComments();
      }
    });
    loadComments();
  }
  loadQuestions();
  loadFeedback();
})();
