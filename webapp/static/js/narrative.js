// Autosave of the narrative sections: 3 s after the last keystroke, and when leaving a field.
(function () {
  const form = document.getElementById("narrative-form");
  if (!form || form.dataset.autosave !== "on") return;
  const status = document.getElementById("autosave-status");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null;
  let dirty = {};

  async function save() {
    const sections = dirty;
    dirty = {};
    if (Object.keys(sections).length === 0) return;
    status.textContent = "正在保存…";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ sections: sections }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.message || response.statusText);
      status.textContent = "已自动保存 " + (body.saved_at || "");
    } catch (err) {
      Object.assign(dirty, sections); // keep what was not saved, try again later
      status.textContent = "自动保存失败：" + err.message;
    }
  }

  form.querySelectorAll("textarea.narrative-section").forEach(function (area) {
    area.addEventListener("input", function () {
      dirty[area.name] = area.value;
      status.textContent = "有未保存的修改";
      clearTimeout(timer);
      timer = setTimeout(save, 3000);
    });
    area.addEventListener("blur", function () { clearTimeout(timer); save(); });
  });
  window.addEventListener("beforeunload", function (e) {
    if (Object.keys(dirty).length) { save(); e.preventDefault(); }
  });
})();
