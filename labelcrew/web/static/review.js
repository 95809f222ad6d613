// The review page: one form per label (accept / correct / reject, error tags, rule references,
// comment), recorded through the JSON API (session cookie + X-CSRF-Token). The server checks
// the corrected value against the schema and answers with warnings (feedback that cites no
// rule); this file gathers what the reviewer picked and shows the server's answer.
"use strict";

(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const project = root.dataset.project;
  const item = root.dataset.item;
  const cards = Array.from(root.querySelectorAll("form.review-card"));
  const help = document.getElementById("help");
  const done = root.querySelector("[data-testid=item-done]");

  async function api(method, path, body) {
    const response = await fetch(`/api/v1/projects/${project}${path}`, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json();
    return { ok: response.ok, status: response.status, data };
  }

  // ---- which label and which corrected field the keys act on ----
  function open() {
    return cards.filter((c) => !c.classList.contains("done"));
  }
  function activeCard() {
    return root.querySelector("form.review-card.active:not(.done)") || open()[0];
  }
  function activate(card) {
    cards.forEach((c) => c.classList.toggle("active", c === card));
  }
  function moveCard(step) {
    const list = open();
    if (!list.length) return;
    const i = list.indexOf(activeCard());
    activate(list[(i + step + list.length) % list.length]);
    activeCard().scrollIntoView({ block: "nearest" });
  }
  function fieldsOf(card) {
    return Array.from(card.querySelectorAll(".correction fieldset.field"));
  }
  function currentField(card) {
    return card.querySelector(".correction fieldset.field.current") || fieldsOf(card)[0];
  }
  function moveField(card, step) {
    const list = fieldsOf(card);
    const i = list.indexOf(currentField(card));
    const next = list[(i + step + list.length) % list.length];
    list.forEach((f) => f.classList.toggle("current", f === next));
  }

  function setVerdict(card, verdict) {
    card.querySelectorAll("[data-verdict]").forEach((b) =>
      b.setAttribute("aria-pressed", b.dataset.verdict === verdict ? "true" : "false"));
    card.dataset.verdict = verdict;
    card.querySelector(".correction").hidden = verdict !== "correct";
    if (verdict !== "correct") return;
    if (!card.querySelector(".field.current")) moveField(card, 0);
    fieldsOf(card).forEach(LabelWidgets.paint); // boxes need the image's shown size
  }

  // ---- the corrected value: the label, with each field replaced by what the widgets hold ----
  function correctedValue(card) {
    const out = JSON.parse(card.dataset.value);
    for (const f of fieldsOf(card)) {
      const v = LabelWidgets.valueOf(f);
      out[f.dataset.name] = v === undefined ? null : v;
    }
    return out;
  }
  // Each card's correction widgets start from the label it reviews (widgets.js), and the label
  // itself shows its spans marked in the text and its boxes on the image.
  function paintViews(card) {
    const value = JSON.parse(card.dataset.value);
    card.querySelectorAll(".value .span-text[data-field]").forEach((el) => LabelWidgets.paintSpans(el, value[el.dataset.field]));
    card.querySelectorAll(".value .bbox-stage[data-field]").forEach((el) => LabelWidgets.paintBoxes(el, value[el.dataset.field]));
  }
  for (const card of cards) {
    const value = JSON.parse(card.dataset.value);
    LabelWidgets.bind(card.querySelector(".correction"));
    fieldsOf(card).forEach((f) => LabelWidgets.fill(f, value[f.dataset.name]));
    paintViews(card);
    card.querySelectorAll(".value img").forEach((img) => img.addEventListener("load", () => paintViews(card)));
  }
  window.addEventListener("resize", () => cards.forEach(paintViews));

  function checked(card, name) {
    return Array.from(card.querySelectorAll(`input[name=${name}]:checked`)).map((i) => i.value);
  }

  function show(card, text, kind, warnings) {
    const box = card.querySelector(".result");
    box.textContent = "";
    const p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    box.appendChild(p);
    if (warnings && warnings.length) {
      const ul = document.createElement("ul");
      ul.className = "warnings";
      ul.dataset.testid = "warnings";
      for (const w of warnings) {
        const li = document.createElement("li");
        li.dataset.code = w.code;
        li.textContent = `⚠ ${w.message}`;
        ul.appendChild(li);
      }
      box.appendChild(ul);
    }
  }

  // A reviewed card is shut: its buttons off, the item's N unlocked once none is left open.
  function close(card) {
    card.classList.add("done");
    card.classList.remove("active");
    card.querySelectorAll("button, input, textarea").forEach((el) => (el.disabled = true));
  }
  function afterReview(itemDone) {
    if (itemDone || !open().length) done.hidden = false;
    else { activate(open()[0]); activeCard().scrollIntoView({ block: "nearest" }); }
  }
  // Labels reviewed before a reload come marked by the server (data-reviewed).
  cards.filter((c) => c.dataset.reviewed).forEach(close);
  if (cards.length && !open().length) done.hidden = false;

  async function submit(card) {
    if (!card || card.dataset.busy) return;
    const verdict = card.dataset.verdict;
    if (!verdict) {
      show(card, "Pick a verdict first: A accept, C correct, R reject.", "error");
      return;
    }
    const body = {
      verdict,
      annotation_id: Number(card.dataset.annotation),
      error_tags: checked(card, "tag"),
      rule_refs: checked(card, "rule"),
      comment: card.querySelector("textarea[name=comment]").value,
    };
    try {
      if (verdict === "correct") body.corrected_value = correctedValue(card);
    } catch (err) {
      show(card, err.message, "error");
      return;
    }
    card.dataset.busy = "1";
    show(card, "Saving…", "ok");
    try {
      const result = await api("POST", `/items/${item}/reviews`, body);
      if (result.ok) {
        close(card);
        show(card, `Recorded: ${verdict}.`, "ok", result.data.warnings);
        afterReview(result.data.task.state === "done");
      } else if (result.data.code === "already_reviewed") {
        // Reviewed meanwhile (another tab, or before a reload): shut it and move on, instead
        // of offering the same refused submit again.
        close(card);
        show(card, "Already reviewed in this round.", "ok");
        afterReview(false);
      } else {
        const where = result.data.field ? ` (${result.data.field})` : "";
        show(card, `${result.data.message || `error ${result.status}`}${where}`, "error");
      }
    } catch (err) {
      show(card, `Network problem: ${err}. The review was not confirmed; press Enter to retry.`, "error");
    }
    delete card.dataset.busy;
  }

  // ---- the item's comment thread ----
  const thread = root.querySelector(".comments");
  async function loadComments() {
    const result = await api("GET", `/items/${item}/comments`);
    if (!result.ok) return;
    thread.textContent = "";
    for (const c of result.data) {
      const li = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = c.author;
      const body = document.createElement("div");
      body.textContent = c.body;
      li.append(who, ` ${c.created_at.slice(0, 16).replace("T", " ")}`, body);
      thread.appendChild(li);
    }
  }
  const commentForm = document.getElementById("comment-form");
  commentForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = commentForm.querySelector("[role=status]");
    const result = await api("POST", `/items/${item}/comments`, { body: commentForm.body.value });
    status.textContent = result.ok ? "Comment added." : result.data.message || `error ${result.status}`;
    status.className = result.ok ? "ok" : "error";
    if (result.ok) {
      commentForm.body.value = "";
      loadComments();
    }
  });
  loadComments();

  root.addEventListener("click", (event) => {
    const card = event.target.closest("form.review-card");
    if (card && !card.classList.contains("done")) activate(card);
    const button = event.target.closest("button");
    if (!button || !card) return;
    if (button.dataset.verdict) setVerdict(card, button.dataset.verdict);
  });
  // The widgets take the mouse themselves; the field they are in becomes the keys' field.
  root.addEventListener("mousedown", (event) => {
    const fieldset = event.target.closest(".correction fieldset.field");
    const card = fieldset && fieldset.closest("form.review-card");
    if (card) fieldsOf(card).forEach((f) => f.classList.toggle("current", f === fieldset));
  });
  cards.forEach((card) =>
    card.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(card);
    }));
  document.querySelector('[data-action="help"]').addEventListener("click", () => toggleHelp());
  function toggleHelp(visible) {
    help.hidden = visible === undefined ? !help.hidden : !visible;
  }

  // ---- keyboard ----
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.matches("textarea, input:not([type=hidden]):not([type=checkbox])");
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing) target.blur();
      return;
    }
    if (typing) {
      const card = target.closest("form.review-card");
      if (card && event.key === "Enter" && (event.ctrlKey || event.metaKey || target.tagName === "INPUT")) {
        event.preventDefault();
        submit(card);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (!help.hidden) return;
    const key = event.key.toLowerCase();
    if (key === "n" && !done.hidden) { event.preventDefault(); window.location.reload(); return; }
    const card = activeCard();
    if (!card) return;
    const verdicts = { a: "accept", c: "correct", r: "reject" };
    if (verdicts[key] && !event.shiftKey) { event.preventDefault(); setVerdict(card, verdicts[key]); return; }
    if (event.key === "Enter") { event.preventDefault(); submit(card); return; }
    if (key === "j") { event.preventDefault(); moveCard(1); return; }
    if (key === "k") { event.preventDefault(); moveCard(-1); return; }
    if (key === "m") { event.preventDefault(); card.querySelector("textarea[name=comment]").focus(); return; }
    const digit = /^Digit([1-9])$/.exec(event.code);
    if (digit && event.shiftKey) {
      const box = card.querySelectorAll("input[name=tag]")[Number(digit[1]) - 1];
      if (box) { event.preventDefault(); box.checked = !box.checked; }
      return;
    }
    if (card.dataset.verdict !== "correct") return;
    if (event.key === "ArrowDown") { event.preventDefault(); moveField(card, 1); return; }
    if (event.key === "ArrowUp") { event.preventDefault(); moveField(card, -1); return; }
    const fieldset = currentField(card);
    if (!fieldset) return;
    if (event.key === "Backspace" && fieldset.dataset.kind === "ranking") {
      event.preventDefault();
      LabelWidgets.resetRanking(fieldset);
      return;
    }
    const button = fieldset.querySelector(`.opt[data-key="${CSS.escape(event.key)}"]`);
    if (button) { event.preventDefault(); LabelWidgets.press(fieldset, button); }
  });
})();

// The escalation inbox: claim, answer, escalate and resolve through the JSON API; the page
// reloads on success so every ticket shows its new state, and shows the server's message if not.
(function () {
  const inbox = document.getElementById("inbox");
  if (!inbox) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const project = inbox.dataset.project;
  const message = document.getElementById("inbox-message");
  document.querySelectorAll("select[data-autosubmit]").forEach((select) =>
    select.addEventListener("change", () => select.form.submit()));

  async function post(ticket, action, body) {
    message.textContent = "Saving…";
    message.className = "ok";
    const response = await fetch(`/api/v1/projects/${project}/escalations/${ticket}/${action}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      window.location.reload();
      return;
    }
    const data = await response.json();
    message.textContent = `Ticket ${ticket}: ${data.message || `error ${response.status}`}`;
    message.className = "error";
  }

  inbox.addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="claim"]');
    if (button) post(button.closest("[data-ticket]").dataset.ticket, "claim", {});
  });
  inbox.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    const body = {};
    new FormData(form).forEach((value, key) => {
      if (value !== "") body[key] = value;
    });
    post(form.closest("[data-ticket]").dataset.ticket, form.dataset.action, body);
  });
})();
