// The Label Studio import page: sends the form to the JSON API (session cookie + X-CSRF-Token)
// and shows the report; a dry run writes nothing, so it can be run until the report reads right.
"use strict";
(function () {
  const form = document.getElementById("ls-import");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const report = document.getElementById("ls-report");

  function items(id, lines) {
    const list = document.getElementById(id);
    list.replaceChildren(
      ...lines.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }),
    );
  }

  function show(body) {
    const verb = body.dry_run ? "would create" : "created";
    document.getElementById("ls-title").textContent =
      `${body.project} (${body.format}): ${body.dry_run ? "dry run, nothing written" : "imported"}`;
    const rows = [
      ["items", body.items_created, body.items_unchanged],
      ["annotations", body.annotations_created, body.annotations_unchanged],
      ["gold answers", body.gold_set, ""],
      ["predictions", body.predictions_created, ""],
      ["members (inactive until invited)", body.members_created.length, body.members_mapped.length],
      ["cancelled annotations skipped", body.cancelled_skipped, ""],
    ];
    const table = document.getElementById("ls-counts");
    table.replaceChildren();
    const head = table.insertRow();
    for (const text of ["", verb, "already there"]) {
      const th = document.createElement("th");
      th.textContent = text;
      head.appendChild(th);
    }
    for (const row of rows) {
      const tr = table.insertRow();
      for (const cell of row) tr.insertCell().textContent = String(cell);
    }
    items("ls-fields", body.fields.map((f) => `${f.tag} ${f.from_name} → ${f.kind} field ${f.field}`));
    items(
      "ls-unmapped",
      body.unmapped
        .map((u) => `${u.tag} ${u.name}: ${u.reason}`)
        .concat(Object.entries(body.regions_not_mapped).map(([n, c]) => `${c} region(s) of ${n} skipped`)),
    );
    items("ls-errors", []);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    data.set("dry_run", event.submitter ? event.submitter.value : "true");
    const response = await fetch("/api/v1/projects:import-labelstudio", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      body: data,
    });
    const body = await response.json();
    report.hidden = false;
    if (response.ok) {
      show(body);
      return;
    }
    const problems = (body.details && body.details.errors) || [];
    items(
      "ls-errors",
      [body.message].concat(problems.map((p) => `${p.where}${p.field ? " [" + p.field + "]" : ""}: ${p.message}`)),
    );
  });
})();
