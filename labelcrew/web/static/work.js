// The annotator workspace: the keyboard, the highlighted field, submit and skip through the JSON
// API (session cookie + X-CSRF-Token). The widgets for each field kind are in widgets.js (the
// review page corrects labels with the same ones). The server validates every value; this file
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

  // ---- the widgets (widgets.js); this page adds skip and the highlighted field ----
  LabelWidgets.bind(form);
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button && button.dataset.action === "skip") skip();
  });
  document.querySelector('[data-action="help"]').addEventListener("click", () => toggleHelp());

  // ---- gather the value and talk to the API ----
  function value() {
    const out = {};
    for (const f of fields) {
      const v = LabelWidgets.valueOf(f);
      if (v !== undefined) out[f.dataset.name] = v;
    }
    return out;
  }

  async function submit() {
    if (busy) return;
    busy = true;
    say("Saving…", false);
    try {
      const body = { value: value() };
      const ticks = form.querySelectorAll("input[name=checklist]");
      if (ticks.length) body.checklist = Array.from(ticks).filter((t) => t.checked).map((t) => t.value);
      const result = await api("POST", `/items/${item}/annotations`, body, { "Idempotency-Key": form.dataset.key });
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
  const skipReason = document.getElementById("skip-reason");
  async function skip() {
    if (busy) return;
    busy = true;
    const reason = skipReason.value.trim();
    const result = await api("POST", `/items/${item}/skip`, reason ? { reason } : undefined);
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

  // ---- undo within the item: every change to the label is a step Ctrl+Z takes back ----
  const steps = [JSON.stringify(value())];
  function record() {
    const now = JSON.stringify(value());
    if (now !== steps[steps.length - 1]) steps.push(now);
  }
  function undo() {
    record(); // a change whose event has not been recorded yet is the step to take back
    if (steps.length < 2) { say("Nothing to undo on this item.", false); return; }
    steps.pop();
    const before = JSON.parse(steps[steps.length - 1]);
    for (const f of fields) {
      LabelWidgets.clear(f);
      LabelWidgets.fill(f, before[f.dataset.name]);
    }
    say("Undone.", false);
  }
  // The widgets' own listeners (added earlier on the same targets) have changed the label by
  // the time these run: clicks and text on the form, span selections and box drags on mouseup.
  ["click", "change"].forEach((type) => form.addEventListener(type, record));
  window.addEventListener("mouseup", record);

  // ---- rules search ----
  const search = document.getElementById("rule-search");
  function filterRules() {
    const needle = search.value.trim().toLowerCase();
    document.querySelectorAll("#rules li").forEach((li) => {
      li.hidden = needle !== "" && !li.textContent.toLowerCase().includes(needle);
    });
  }
  search.addEventListener("input", filterRules);
  // text typed before this script ran (or restored by the browser on back) is filtered too
  filterRules();

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
      if (event.key === "Enter" && target === skipReason) {
        event.preventDefault();
        skip();
        return;
      }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey || target.tagName === "INPUT") && target !== search) {
        event.preventDefault();
        submit();
      }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !event.shiftKey) {
      event.preventDefault();
      undo();
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
    if (event.key === "Backspace" && active.dataset.kind === "ranking") { LabelWidgets.resetRanking(active); record(); return; }
    // A field's own hotkeys win anywhere; plain number keys go to the highlighted field.
    const own = fields.find((f) => f !== active && f.querySelector(`.opt[data-key="${CSS.escape(event.key)}"]`) && !/^[0-9]$/.test(event.key));
    const fieldset = own || active;
    const button = fieldset.querySelector(`.opt[data-key="${CSS.escape(event.key)}"]`);
    if (button) {
      event.preventDefault();
      activate(fieldset);
      LabelWidgets.press(fieldset, button);
      const kind = fieldset.dataset.kind;
      const done = kind === "single_choice" || kind === "rating" || (kind === "ranking" && LabelWidgets.rankingComplete(fieldset));
      // Move on to the next field that keys can fill; text boxes are entered with the arrows.
      const next = fields.slice(fields.indexOf(fieldset) + 1).find((f) => f.dataset.kind !== "text");
      if (done && next) activate(next);
      record();
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
  // A label as a person reads it: "sentiment: negative · topics: price, delivery", never JSON.
  function plain(v) {
    if (v === null || v === undefined || v === "") return "–";
    if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === "object" ? plainObject(x) : plain(x))).join(", ");
    if (typeof v === "object") return plainObject(v);
    return String(v);
  }
  function plainObject(o) {
    if ("label" in o && "start" in o) return `${o.label} ${o.start}–${o.end}`; // a span
    if ("label" in o && "x" in o) return `${o.label} box`; // a box
    // Fields left empty are left out: "note: –" after every label says nothing.
    const given = Object.entries(o).filter(([, x]) => x !== null && x !== undefined && x !== "");
    return given.map(([k, x]) => `${k}: ${plain(x)}`).join(" · ") || "–";
  }
  const shown = (value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? plainObject(value) : plain(value));
  // An empty list says so in a line of its own: inside an <ol> it read "1. No comments yet."
  function fill(list, nodes, emptyText) {
    list.textContent = "";
    nodes.forEach((n) => list.appendChild(n));
    list.hidden = !nodes.length;
    let note = list.nextElementSibling;
    if (!note || !note.classList.contains("empty-note")) {
      note = el("p", "", "muted small empty-note");
      note.dataset.testid = "empty-note";
      list.after(note);
    }
    note.textContent = nodes.length ? "" : emptyText;
    note.hidden = Boolean(nodes.length);
  }

  async function loadComments() {
    const list = extras.querySelector(".comments");
    const result = await call("GET", `/items/${extras.dataset.item}/comments`);
    if (!result.ok) return;
    fill(list, result.data.map((c) => {
      const li = el("li");
      li.append(el("strong", c.author), " ", el("span", when(c.created_at), "muted small"), el("div", c.body));
      return li;
    }), "No comments yet.");
  }

  async function loadQuestions() {
    const list = panels.querySelector(".question-list");
    const result = await call("GET", "/escalations");
    if (!result.ok) return;
    fill(list, result.data.map((t) => {
      const li = el("li");
      li.append(el("span", t.state, "badge"), ` item ${t.item_id}${t.rule_number ? `, rule ${t.rule_number}` : ""}: `, el("q", t.question));
      if (t.answer) li.appendChild(el("div", `Answer: ${t.answer}`));
      if (t.ruling) li.appendChild(el("div", `Ruling${t.ruling_rule ? ` (rule ${t.ruling_rule})` : ""}: ${t.ruling}`));
      return li;
    }), "You have asked nothing yet.");
  }

  async function loadFeedback() {
    const list = panels.querySelector(".feedback-list");
    const result = await call("GET", "/my/feedback?limit=50");
    if (!result.ok) return;
    fill(list, result.data.map((r) => {
      const li = el("li");
      li.dataset.testid = "feedback-entry";
      li.append(el("span", r.verdict, `badge verdict-${r.verdict}`), ` item ${r.item_id} by ${r.reviewer} `, el("span", when(r.created_at), "muted small"));
      li.appendChild(el("div", `Your label: ${shown(r.your_value)}`, "small"));
      if (r.corrected_fields.length) li.appendChild(el("div", `Corrected: ${r.corrected_fields.join(", ")}`, "small"));
      if (r.error_tags.length) li.appendChild(el("div", `Tags: ${r.error_tags.map((t) => t.name).join(", ")}`, "small"));
      for (const rule of r.rules) {
        li.appendChild(el("div", `Rule ${rule.number}${rule.title ? ` ${rule.title}` : ""}: ${rule.text || "(not in that guideline version)"}`, "small"));
      }
      if (r.comment) li.appendChild(el("blockquote", r.comment));
      return li;
    }), "No reviews of your labels yet.");
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
    document.getElementById("flag-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const result = await call("POST", `/items/${extras.dataset.item}/flag`, { reason: form.reason.value });
      tell(form.querySelector("[role=status]"), result, "Flagged: a reviewer will look at this item.");
      if (result.ok) form.reason.value = "";
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
  // The status bar's count: the annotator's own labels, today and in all, and their batches.
  async function loadProgress() {
    const result = await call("GET", "/my/progress");
    if (!result.ok) return;
    const p = result.data;
    document.querySelectorAll("[data-testid=progress]").forEach((box) => {
      box.textContent = `${p.today} today · ${p.submitted} in all`;
      box.title = `${p.skipped} skipped`;
    });
    const batches = document.querySelector("[data-testid=batches]");
    if (batches && p.batches.length) batches.textContent = ` · batch ${p.batches.join(", ")}`;
  }

  loadQuestions();
  loadFeedback();
  loadProgress();
})();
