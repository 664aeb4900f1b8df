// Behaviour every page may use, without inline handlers (the Content-Security-Policy allows no
// inline script): a form with data-confirm asks before it is sent; a form with
// data-path-from="field" puts that field's value in place of its action's last path segment
// (/reports/notice/2026 → /reports/notice/2025); a link with data-back goes back in the history
// when there is one (its href is the fallback).
(function () {
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const field = form.dataset.pathFrom && form.elements[form.dataset.pathFrom];
    if (field) {
      form.action = form.action.replace(/\/[^/]*$/, "/" + encodeURIComponent(field.value));
    }
  }, true);
  document.addEventListener("click", function (event) {
    const link = event.target instanceof Element ? event.target.closest("a[data-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
