// Autosave of drafted texts (report narrative and explanations, public report draft).
//
// A form with data-autosave="on" saves its textareas[data-section] 3 s after the last keystroke
// and when a field is left, one request at a time, each text with the version it was based on
// (data-version; the hidden base__<name> input carries it for a plain form submit).  When
// someone else saved the section in between, the server refuses (409) and sends both texts:
// they are shown side by side under the field, to merge and save on top of the current version.
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  document.querySelectorAll("form[data-autosave='on']").forEach(setup);

  function setup(form) {
    const status = document.getElementById(form.dataset.status);
    const areas = {};
    form.querySelectorAll("textarea[data-section]").forEach(function (area) {
      areas[area.dataset.section] = area;
    });
    let dirty = {};
    let timer = null;
    let busy = false;
    let again = false;
    let submitAfter = false;
    let submitting = false;

    function show(text) { if (status) status.textContent = text; }

    function setVersion(key, version) {
      const area = areas[key];
      if (!area) return;
      area.dataset.version = String(version);
      const base = form.elements["base__" + area.name];
      if (base) base.value = String(version);
    }

    function merging(key) { return !!form.querySelector('.draft-merge[data-merge-for="' + CSS.escape(key) + '"]'); }

    async function save() {
      if (busy) { again = true; return; }
      const keys = Object.keys(dirty).filter(function (k) { return !merging(k); });
      if (keys.length === 0) return finish();
      const sections = {};
      const bases = {};
      keys.forEach(function (k) {
        sections[k] = areas[k].value;
        bases[k] = Number(areas[k].dataset.version || 0);
        delete dirty[k];
      });
      busy = true;
      show("正在保存…");
      try {
        const response = await fetch(form.action, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
          body: JSON.stringify({ sections: sections, base_versions: bases }),
        });
        const body = await response.json();
        if (response.status === 409 && body.errors && body.errors.conflicts) {
          const stale = body.errors.conflicts.map(function (c) { return c.section; });
          body.errors.conflicts.forEach(showMerge);
          // The other sections were not saved either (all or nothing): send them again.
          keys.forEach(function (k) { if (stale.indexOf(k) < 0 && !(k in dirty)) dirty[k] = areas[k].value; });
          again = Object.keys(dirty).length > 0;
          show("有 " + stale.length + " 处文字已被他人修改，请在下方对照合并后保存");
        } else if (!response.ok) {
          throw new Error(body.message || response.statusText);
        } else {
          Object.keys(body.versions || {}).forEach(function (k) { setVersion(k, body.versions[k]); });
          show("已自动保存 " + (body.saved_at || ""));
        }
      } catch (err) {
        keys.forEach(function (k) { if (!(k in dirty)) dirty[k] = areas[k].value; }); // try again later
        show("自动保存失败：" + err.message);
      } finally {
        busy = false;
        if (again) { again = false; save(); } else { finish(); }
      }
    }

    function finish() {
      if (submitAfter && !busy) { submitAfter = false; form.requestSubmit(); }
    }

    function labelled(text, value, readonly, cls) {
      const col = document.createElement("div");
      col.className = "col-md-6";
      const label = document.createElement("label");
      label.className = "form-label small mb-0";
      label.textContent = text;
      const area = document.createElement("textarea");
      area.className = "form-control form-control-sm " + cls;
      area.rows = 6;
      area.readOnly = readonly;
      area.value = value;
      col.append(label, area);
      return [col, area];
    }

    function showMerge(c) {
      const area = areas[c.section];
      if (!area) return;
      const old = form.querySelector('.draft-merge[data-merge-for="' + CSS.escape(c.section) + '"]');
      if (old) old.remove();
      area.readOnly = true;
      const panel = document.createElement("div");
      panel.className = "draft-merge card my-2";
      panel.dataset.mergeFor = c.section;
      const body = document.createElement("div");
      body.className = "card-body p-2";
      const note = document.createElement("p");
      note.className = "small mb-2";
      note.textContent = "“" + c.title + "”已被" + c.saved_by + "于 " + c.saved_at_label + " 保存为第 " +
        c.current_version + " 版，您的修改基于第 " + c.base_version + " 版，尚未保存。请对照两份文字，在右侧合并后保存。";
      const row = document.createElement("div");
      row.className = "row g-2";
      const [theirsCol] = labelled("已保存的第 " + c.current_version + " 版（" + c.saved_by + "）", c.current_text, true, "merge-theirs");
      const [mineCol, mine] = labelled("您的文字（未保存，可在此合并）", area.value, false, "merge-mine");
      row.append(theirsCol, mineCol);
      const buttons = document.createElement("div");
      buttons.className = "d-flex gap-2 mt-2";
      // Either way the text is now based on the saved version: the panel goes, the area is free.
      function resolve(text, cls, value, then) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm " + cls;
        button.textContent = text;
        button.addEventListener("click", function () {
          panel.remove();
          area.readOnly = false;
          area.value = value();
          setVersion(c.section, c.current_version);
          then();
        });
        return button;
      }
      buttons.append(
        resolve("保存合并结果", "btn-primary merge-save", function () { return mine.value; }, function () {
          dirty[c.section] = area.value;
          save();
        }),
        resolve("采用已保存的文字", "btn-outline-secondary merge-take-theirs", function () { return c.current_text; }, function () {
          delete dirty[c.section];
          show("已采用第 " + c.current_version + " 版");
        })
      );
      body.append(note, row, buttons);
      panel.append(body);
      area.insertAdjacentElement("afterend", panel);
    }

    Object.values(areas).forEach(function (area) {
      area.addEventListener("input", function () {
        if (area.readOnly) return;
        dirty[area.dataset.section] = area.value;
        show("有未保存的修改");
        clearTimeout(timer);
        timer = setTimeout(save, 3000);
      });
      area.addEventListener("blur", function () {
        if (area.dataset.section in dirty) { clearTimeout(timer); save(); }
      });
    });
    form.addEventListener("submit", function (e) {
      if (form.querySelector(".draft-merge")) {
        e.preventDefault();
        show("请先处理下方的冲突文字，再保存");
        return;
      }
      clearTimeout(timer);
      if (busy) { // let the save in flight finish, so that the form carries its versions
        e.preventDefault();
        submitAfter = true;
        return;
      }
      submitting = true;
    });
    window.addEventListener("beforeunload", function (e) {
      if (!submitting && Object.keys(dirty).length) { save(); e.preventDefault(); }
    });
  }
})();
