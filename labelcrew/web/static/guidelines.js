// Guideline editor: add and remove rule rows; the server numbers-checks and sorts the rules.
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
