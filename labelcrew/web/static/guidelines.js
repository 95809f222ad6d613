// Guideline editor: add and remove rule rows (the server checks the numbers and sorts the
// rules); on the publish form, show the relabel choices only when relabel is wanted, and grey
// out a preview once the choices it counted have changed.
"use strict";
(function () {
  const rows = document.getElementById("rule-rows");
  if (!rows) return;
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    if (button.dataset.action === "remove-rule") button.closest(".rule-row").remove();
    if (button.dataset.action === "add-rule") {
      const blank = rows.lastElementChild.cloneNode(true);
      blank.querySelectorAll("input, textarea").forEach((el) => (el.value = ""));
      rows.appendChild(blank);
      blank.querySelector("input").focus();
    }
  });
})();

(function () {
  const box = document.querySelector("[data-testid=relabel]");
  if (!box) return;
  const toggle = box.querySelector("input[name=relabel]");
  const criteria = box.querySelector(".relabel-criteria");
  const preview = box.querySelector(".preview");
  toggle.addEventListener("change", () => (criteria.hidden = !toggle.checked));
  box.addEventListener("change", () => {
    if (preview) preview.classList.add("stale");
  });
})();
