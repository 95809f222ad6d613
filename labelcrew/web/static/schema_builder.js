// The new-project page's schema builder: one card per field (name, required, description and
// the kind's own settings), kept in step with the JSON textarea that the form posts. Every
// change asks the server for the live preview (POST /projects/schema-preview), which parses
// the schema as creating the project will and draws the workspace's widgets.
"use strict";

(function () {
  const form = document.getElementById("project-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const builder = document.getElementById("builder");
  const json = document.getElementById("definition");
  const sample = document.getElementById("sample");
  const preview = document.getElementById("preview");
  const STARTERS = {
    single_choice: { options: ["yes", "no"] },
    multi_choice: { options: ["a", "b", "c"] },
    rating: { min: 1, max: 5, step: 1 },
    ranking: { candidates: 2 },
    text: { required: false, max_length: 500 },
    spans: { labels: ["PERSON", "PLACE"], source: "text" },
    bbox: { labels: ["object"], source: "image" },
  };
  let fields = [];
  let timer = null;

  function read() {
    try {
      const parsed = JSON.parse(json.value);
      fields = Array.isArray(parsed.fields) ? parsed.fields : [];
    } catch (_) {
      fields = [];
    }
  }
  function write() {
    json.value = JSON.stringify({ fields }, null, 2);
    schedulePreview();
  }
  // Options and labels one a line (an option may hold a comma); hotkeys comma-separated.
  function split(text, by) {
    return text.split(by).map((s) => s.trim()).filter((s) => s !== "");
  }
  const lines = (text) => split(text, /\n/);
  const keys = (text) => split(text, /,/);
  function numberOrNull(text) {
    return text.trim() === "" ? undefined : Number(text);
  }

  function input(labelText, value, onChange, type) {
    const label = document.createElement("label");
    label.textContent = labelText + " ";
    const el = type === "textarea" ? document.createElement("textarea") : document.createElement("input");
    if (type === "checkbox") {
      el.type = "checkbox";
      el.checked = Boolean(value);
      el.addEventListener("change", () => { onChange(el.checked); write(); });
      label.prepend(el);
    } else {
      if (type !== "textarea") el.type = type || "text";
      if (type === "textarea") el.rows = 3;
      el.value = value === undefined || value === null ? "" : value;
      el.addEventListener("input", () => { onChange(el.value); write(); });
      label.appendChild(el);
    }
    return label;
  }
  function set(f, key, value) {
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) delete f[key];
    else f[key] = value;
  }

  function settings(f) {
    const out = [];
    const k = f.kind;
    if (k === "single_choice" || k === "multi_choice") {
      out.push(input("Options (one a line)", (f.options || []).join("\n"), (v) => set(f, "options", lines(v)), "textarea"));
      const given = Array.isArray(f.hotkeys) ? f.hotkeys : f.hotkeys ? (f.options || []).map((o) => f.hotkeys[o] || "") : [];
      out.push(input("Hotkeys in option order (comma-separated; empty: number keys)", given.join(", "), (v) => set(f, "hotkeys", keys(v))));
    } else if (k === "rating") {
      out.push(input("Lowest", f.min, (v) => set(f, "min", numberOrNull(v)), "number"));
      out.push(input("Highest", f.max, (v) => set(f, "max", numberOrNull(v)), "number"));
      out.push(input("Step (empty: any value)", f.step, (v) => set(f, "step", numberOrNull(v)), "number"));
    } else if (k === "ranking") {
      out.push(input("Candidates", f.candidates, (v) => set(f, "candidates", numberOrNull(v)), "number"));
      out.push(input("ties allowed", f.allow_ties, (v) => set(f, "allow_ties", v || undefined), "checkbox"));
    } else if (k === "text") {
      out.push(input("Longest answer (characters)", f.max_length, (v) => set(f, "max_length", numberOrNull(v)), "number"));
    } else if (k === "spans" || k === "bbox") {
      out.push(input("Labels (one a line)", (f.labels || []).join("\n"), (v) => set(f, "labels", lines(v)), "textarea"));
      out.push(input("Payload key it marks", f.source, (v) => set(f, "source", v.trim() || undefined)));
    }
    return out;
  }

  function card(f, index) {
    const box = document.createElement("fieldset");
    box.className = "field builder-field";
    box.dataset.testid = `builder-field-${index}`;
    box.setAttribute("data-testid", `builder-field-${index}`);
    const legend = document.createElement("legend");
    legend.textContent = `${index + 1}. ${f.kind.replace("_", " ")}`;
    box.appendChild(legend);
    box.appendChild(input("Field name", f.name, (v) => set(f, "name", v.trim())));
    box.appendChild(input("required", f.required !== false, (v) => set(f, "required", v ? undefined : false), "checkbox"));
    box.appendChild(input("Description (shown to annotators)", f.description, (v) => set(f, "description", v.trim())));
    settings(f).forEach((el) => box.appendChild(el));
    const actions = document.createElement("p");
    actions.className = "links";
    [["Move up", -1], ["Move down", 1]].forEach(([text, step]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.disabled = index + step < 0 || index + step >= fields.length;
      b.addEventListener("click", () => {
        const [moved] = fields.splice(index, 1);
        fields.splice(index + step, 0, moved);
        render();
        write();
      });
      actions.appendChild(b);
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => { fields.splice(index, 1); render(); write(); });
    actions.appendChild(remove);
    box.appendChild(actions);
    return box;
  }

  function render() {
    builder.replaceChildren(...fields.map(card));
  }

  async function showPreview() {
    const body = new URLSearchParams({ definition: json.value, sample: sample.value });
    const response = await fetch("/projects/schema-preview", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    preview.innerHTML = await response.text(); // the server's template, escaped there
    LabelWidgets.bind(preview);
    preview.querySelectorAll("fieldset.field").forEach(LabelWidgets.paint);
  }
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(showPreview, 250);
  }

  document.getElementById("add-field").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-kind]");
    if (!button) return;
    const kind = button.dataset.kind;
    const taken = new Set(fields.map((f) => f.name));
    let name = kind;
    for (let n = 2; taken.has(name); n += 1) name = `${kind}_${n}`;
    fields.push(Object.assign({ name, kind }, JSON.parse(JSON.stringify(STARTERS[kind]))));
    render();
    write();
  });
  document.getElementById("load-json").addEventListener("click", () => { read(); render(); schedulePreview(); });
  json.addEventListener("input", schedulePreview);
  sample.addEventListener("input", schedulePreview);

  read();
  render();
  showPreview();
})();
