// Progressive enhancement only: every page works without JavaScript.
// Selectors of the accounts page submit their form when changed.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("form.select select")) {
    el.addEventListener("change", () => el.form.submit());
  }
});
