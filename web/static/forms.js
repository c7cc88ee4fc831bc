// The rights-request form: the deadline text follows the chosen right and law, and after a
// refused submission focus goes to the list of what to fix. The form itself posts as usual.

const form = document.querySelector("form.rights-form");
const summary = document.getElementById("error-summary");
if (summary) summary.focus();

if (form) {
  const right = form.querySelector("#right");
  const jurisdiction = form.querySelector("#jurisdiction");
  const shown = document.getElementById("deadline");
  const all = document.getElementById("deadlines");
  const update = () => {
    // The same keys as web/forms.py's _deadline_key: opt-out and limit have their own rule.
    const kind = ["opt_out", "limit"].includes(right.value) ? right.value : "request";
    const chosen = all.content.querySelector(`[data-key="${jurisdiction.value}:${kind}"]`);
    if (chosen) shown.replaceChildren(...chosen.cloneNode(true).childNodes);
  };
  right.addEventListener("change", update);
  jurisdiction.addEventListener("change", update);
}
