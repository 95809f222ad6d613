// "Mentions of me": the comments that @mention the signed-in member in this project, newest
// first, with the unread count in the summary; opening the panel marks them read.
"use strict";
(function () {
  const panel = document.querySelector("[data-testid=my-mentions]");
  if (!panel) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const base = `/api/v1/projects/${panel.dataset.project}/my/mentions`;
  const list = panel.querySelector("ol");
  const count = panel.querySelector("[data-testid=mentions-unread]");
  const empty = panel.querySelector(".empty-note");

  async function call(method, path) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    });
    return response.ok ? response.json() : null;
  }
  async function load() {
    const data = await call("GET", base);
    if (!data) return;
    count.textContent = data.unread ? `${data.unread} new` : "";
    list.textContent = "";
    for (const m of data.mentions) {
      const li = document.createElement("li");
      if (!m.read) li.className = "unread";
      const who = document.createElement("strong");
      who.textContent = m.author;
      const text = document.createElement("div");
      text.textContent = m.excerpt;
      li.append(who, ` on item ${m.item_id} · ${m.created_at.slice(0, 16).replace("T", " ")}`, text);
      list.appendChild(li);
    }
    list.hidden = !data.mentions.length;
    empty.hidden = Boolean(data.mentions.length);
  }
  panel.addEventListener("toggle", async () => {
    if (!panel.open || !count.textContent) return;
    await call("POST", `${base}/read`);
    count.textContent = "";
  });
  load();
})();
