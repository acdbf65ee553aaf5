// Progressive enhancement only: every page works without JavaScript.
// Selectors of the accounts page submit their form when changed.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("form.select select")) {
    el.addEventListener("change", () => el.form.submit());
  }
});

// Sections with data-src are filled from that URL after the page has loaded (the overview's
// charts: the figures come first, the charts a moment later).
document.addEventListener("DOMContentLoaded", async () => {
  for (const el of document.querySelectorAll("[data-src]")) {
    try {
      const res = await fetch(el.dataset.src, { credentials: "same-origin" });
      if (res.ok) {
        el.innerHTML = await res.text();
      }
    } catch (e) {
      // Keep the link that is already there.
    }
  }
});
