// The import page: a dropped or chosen file goes to POST /api/v1/.../items:import (multipart,
// session cookie + X-CSRF-Token) with upload progress; the answer is the import report, or a
// refusal whose bad lines are listed as the CLI prints them.
"use strict";

(function () {
  const form = document.getElementById("import-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const zone = document.getElementById("drop-zone");
  const input = document.getElementById("import-file");
  const chosen = document.getElementById("chosen");
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const errors = document.getElementById("import-errors");
  const next = document.getElementById("import-next");
  let file = null;

  function pick(f) {
    file = f || null;
    chosen.textContent = file ? `${file.name} (${file.size.toLocaleString()} bytes)` : "";
  }
  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "ok";
  }
  function lineOf(e) {
    return `line ${e.line}${e.field ? ` [${e.field}]` : ""}: ${e.message}`;
  }
  function listErrors(list) {
    errors.innerHTML = "";
    list.forEach((e) => {
      const li = document.createElement("li");
      li.textContent = lineOf(e);
      errors.appendChild(li);
    });
  }

  input.addEventListener("change", () => pick(input.files[0]));
  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) pick(event.dataTransfer.files[0]);
  });

  function report(data) {
    const parts = [`${data.created} item(s) created`, `${data.unchanged} unchanged`];
    if (data.rejected) parts.push(`${data.rejected} bad row(s) skipped`);
    if (data.batches_created) parts.push(`${data.batches_created} batch(es) created`);
    if (data.gold_set) parts.push(`${data.gold_set} gold answer(s) set`);
    say(`Imported ${data.filename}: ${parts.join(", ")} of ${data.rows_read} row(s).`, false);
    listErrors(data.errors.map((e) => Object.assign({}, e, { message: `skipped: ${e.message}` })));
    next.hidden = false;
  }

  function refused(data) {
    const d = data.details || {};
    if (data.code !== "import_rejected") {
      say(`${data.field ? data.field + ": " : ""}${data.message}`, true);
      return;
    }
    const list = d.errors || [];
    const more = d.error_count > list.length ? ` (the first ${list.length} shown)` : "";
    say(`Import refused: ${d.error_count} bad row(s) of ${d.rows_read}${more}; nothing was imported. ` +
        "Fix them, or tick the box to import the good rows.", true);
    listErrors(list);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!file) { say("Choose or drop a file first.", true); return; }
    const body = new FormData();
    body.append("file", file, file.name);
    const skip = form.elements.skip_invalid.checked;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/projects/${form.dataset.project}/items:import?skip_invalid=${skip}`);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.withCredentials = true;
    bar.hidden = false;
    bar.value = 0;
    errors.innerHTML = "";
    next.hidden = true;
    say("Uploading…", false);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.upload.addEventListener("load", () => {
      bar.value = 100;
      say("Uploaded; checking and storing the rows…", false);
    });
    xhr.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText); } catch (_) { data = { message: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) report(data);
      else refused(data);
    });
    xhr.addEventListener("error", () => say("The upload failed: check the connection and try again.", true));
    xhr.send(body);
  });
})();
