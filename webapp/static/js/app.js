// Behaviour every page may use, driven by data- attributes (the Content-Security-Policy allows no
// inline script):
// - data-confirm="…" on a form or on one of its submit buttons (or on a plain button that runs a
//   script, e.g. 部署为新版本) asks before anything is sent or run;
// - every form that is sent shows it is waiting: its submit button is disabled with a spinner and
//   处理中… (data-busy="文字" for another text), until the next page arrives; data-busy="off" on a
//   form or button leaves it alone (a form whose own script sends it and stays on the page);
//   a plain button with data-busy is put in the busy state by its script (window.hqrBusy);
// - data-path-from="field" on a form puts that field's value in place of its action's last path
//   segment (/reports/notice/2026 → /reports/notice/2025);
// - data-back on a link goes back in the history when there is one (its href is the fallback);
// - data-filter-options="#select" on a search box hides the select's options that do not
//   contain what is typed (the person picker of 抄送 and 转办), also what the browser puts back;
// - this file is loaded in the head (base.html): every listener here is on document or window,
//   so none is missing while the page is drawn (a click before a script at the end of the body
//   would have sent a form without its confirmation);
// - a page opened at #tab-x (or a link within it to #tab-x) shows the Bootstrap tab whose link points at #tab-x;
// - a form sent and then come back to with the browser's back button sends its one-time token
//   (form_token, webapp/idempotency.py) again, not the one of the page fetched anew: pages are
//   not cached (no-store), so back re-fetches the page, and the browser puts what was typed
//   back into the fields but gives the hidden token the new page's value, and a resubmission
//   would act twice.  The tokens sent are kept for the tab's session (sessionStorage).
(function () {
  "use strict";

  function confirmed(element) {
    const text = element && element.dataset ? element.dataset.confirm : "";
    return !text || window.confirm(text);
  }

  function setBusy(button, text) {
    if (!button || button.dataset.busyOn) return;
    button.dataset.busyOn = "1";
    button.dataset.busyHtml = button.innerHTML;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const spinner = document.createElement("span");
    spinner.className = "spinner-border spinner-border-sm me-1";
    spinner.setAttribute("aria-hidden", "true");
    button.textContent = " " + (text || "处理中…");
    button.prepend(spinner);
  }

  function clearBusy(button) {
    if (!button || !button.dataset.busyOn) return;
    button.innerHTML = button.dataset.busyHtml || button.innerHTML;
    button.disabled = false;
    button.removeAttribute("aria-busy");
    delete button.dataset.busyOn;
    delete button.dataset.busyHtml;
  }

  window.hqrBusy = { set: setBusy, clear: clearBusy };

  // Asking first: capture phase, before any page script sees the event.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (!confirmed(form) || !confirmed(event.submitter)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const field = form.dataset.pathFrom && form.elements[form.dataset.pathFrom];
    if (field) {
      form.action = form.action.replace(/\/[^/]*$/, "/" + encodeURIComponent(field.value));
    }
  }, true);

  // Waiting: bubble phase, after page scripts (an autosave that sends the form itself prevents
  // the default and keeps its button).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.dataset.busy === "off") return;
    const button = event.submitter || form.querySelector("[type=submit]");
    if (!button || button.dataset.busy === "off") return;
    // Disabled only after this event: the browser has then already taken the button's
    // name/value (the outcome) into what it sends.
    const text = button.dataset.busy || form.dataset.busy;
    window.setTimeout(function () {
      setBusy(button, text);
      form.querySelectorAll("[type=submit]").forEach(function (other) {
        if (other !== button && !other.disabled) {
          other.disabled = true;
          other.dataset.busyOther = "1";
        }
      });
    }, 0);
  });

  // One-time tokens of the forms sent from this page, for a return by the back button.
  function tokenKey(form) {
    const forms = Array.prototype.filter.call(document.forms, function (other) {
      return other.action === form.action;
    });
    return "hqr-sent|" + location.pathname + location.search + "|" + form.action + "|" +
      forms.indexOf(form);
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    const token = form.querySelector("input[name=form_token]");
    if (!token) return;
    try {
      window.sessionStorage.setItem(tokenKey(form), token.value);
    } catch (err) { /* storage refused (private mode): the server still refuses replays it sees */ }
  });

  function backForward() {
    const entries = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation") : [];
    return entries.length > 0 && entries[0].type === "back_forward";
  }

  function restoreSentTokens() {
    if (!backForward()) return;
    Array.prototype.forEach.call(document.forms, function (form) {
      const token = form.querySelector("input[name=form_token]");
      if (!token) return;
      let sent = null;
      try {
        sent = window.sessionStorage.getItem(tokenKey(form));
      } catch (err) { return; }
      if (sent) token.value = sent;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restoreSentTokens);
  } else {
    restoreSentTokens();
  }

  // Back from the next page (the browser's page cache): the buttons work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy-on]").forEach(clearBusy);
    document.querySelectorAll("[data-busy-other]").forEach(function (button) {
      button.disabled = false;
      delete button.dataset.busyOther;
    });
  });

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const plain = target.closest("button[data-confirm]:not([type=submit])");
    if (plain && !confirmed(plain)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const link = target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  }, true);

  function filterOptions(box) {
    if (!(box instanceof HTMLInputElement) || !box.dataset.filterOptions) return;
    const select = document.querySelector(box.dataset.filterOptions);
    if (!select) return;
    const words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    Array.from(select.options).forEach(function (option) {
      const text = option.textContent.toLowerCase();
      const shown = words.every(function (w) { return text.includes(w); });
      option.hidden = !shown;
      if (shown && !first) first = option;
    });
    if (select.selectedOptions.length && select.selectedOptions[0].hidden) select.value = "";
    if (!select.value && first) first.selected = true;
  }

  document.addEventListener("input", function (event) { filterOptions(event.target); });

  // What the browser put back into a search box (back button, restored form), or what was typed
  // before the page finished loading, filters its list too.
  function filterFilled() {
    document.querySelectorAll("input[data-filter-options]").forEach(function (box) {
      if (box.value.trim()) filterOptions(box);
    });
  }
  window.addEventListener("pageshow", filterFilled);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", filterFilled);
  } else {
    filterFilled();
  }

  function showTabFromHash() {
    if (!window.location.hash || !window.bootstrap || !window.bootstrap.Tab) return;
    let link = document.querySelector('[data-bs-toggle="tab"][href="' + window.location.hash + '"]');
    // a place inside a tab (a narrative section's text box, #s02): open its tab, then go there
    let target = null;
    if (!link) {
      try { target = document.querySelector(window.location.hash); } catch (e) { return; }
      const pane = target && target.closest(".tab-pane[id]");
      if (pane) link = document.querySelector('[data-bs-toggle="tab"][href="#' + pane.id + '"]');
    }
    if (link) window.bootstrap.Tab.getOrCreateInstance(link).show();
    if (target) {
      target.scrollIntoView({ block: "center" });
      if (typeof target.focus === "function") target.focus({ preventScroll: true });
    }
  }
  // a link within the page to one of its tabs (a problem's 前往“分析报告”) opens that tab too
  window.addEventListener("hashchange", showTabFromHash);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showTabFromHash);
  } else {
    showTabFromHash();
  }
})();
