// The item page's gold editor: the workspace widgets (widgets.js) filled with the stored answer;
// saving sends the picked value to PUT /api/v1/.../items/{id}/gold, where the schema checks it.
"use strict";

(function () {
  const form = document.getElementById("gold-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const message = document.getElementById("gold-message");
  const fields = Array.from(form.querySelectorAll("fieldset.field"));
  const stored = JSON.parse(document.getElementById("gold-value").textContent);

  LabelWidgets.bind(form);
  fields.forEach((f) => LabelWidgets.fill(f, stored[f.dataset.name]));
  window.addEventListener("load", () => fields.forEach(LabelWidgets.paint));

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "ok";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = {};
    fields.forEach((f) => {
      const v = LabelWidgets.valueOf(f);
      if (v !== undefined) value[f.dataset.name] = v;
    });
    const rule = form.elements.rule.value.trim();
    const response = await fetch(`/api/v1/projects/${form.dataset.project}/items/${form.dataset.item}/gold`, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ value, rule: rule || null, kind: form.elements.kind.value }),
    });
    const data = await response.json();
    if (!response.ok) {
      say(`${data.field ? data.field + ": " : ""}${data.message}`, true);
      return;
    }
    say("Saved: this item is gold.", false);
    window.location.reload();
  });
})();
