// Ledger import: while the browser waits for the answer to the posted file, show a spinner and
// what the server reports (正在校验 N 行…) from GET .../import/progress/<token>.
(function () {
  const form = document.getElementById("import-form");
  if (!form) return;
  const busy = document.getElementById("import-busy");
  const text = document.getElementById("import-busy-text");
  const bar = document.getElementById("import-bar");
  const button = form.querySelector("button[type=submit]");

  function token() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function poll(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      const body = await response.json();
      if (body.message) text.textContent = body.message;
      if (body.total > 0) bar.style.width = Math.min(100, Math.round((100 * body.done) / body.total)) + "%";
    } catch (err) {
      // The page is being replaced by the answer, or the server is busy: keep the spinner.
    }
  }

  form.addEventListener("submit", function () {
    const id = token();
    form.elements.progress.value = id;
    const url = form.dataset.progressUrl.replace("TOKEN", id);
    busy.classList.remove("d-none");
    button.disabled = true; // the form's own submission is already under way
    setInterval(function () { poll(url); }, 500);
  });
})();
