// Downloads that take a while (a draft rendered on request, a PDF rendered the first time):
// a link marked data-progress-download shows 正在生成… with a spinner and is disabled until the
// file has arrived, then the browser saves it.  A refusal shows the server's message below it.
(function () {
  "use strict";

  function filename(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) {
      try {
        return decodeURIComponent(star[1]);
      } catch (e) {
        // a malformed name: use the plain one
      }
    }
    const plain = /filename="([^"]+)"/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  async function errorMessage(response) {
    const text = await response.text();
    try {
      const page = new DOMParser().parseFromString(text, "text/html");
      const message = page.querySelector("#error-message p");
      if (message && message.textContent.trim()) return message.textContent.trim();
    } catch (e) {
      // not a page of ours
    }
    return "生成失败（" + response.status + "），请稍后重试。";
  }

  function showProblem(link, message) {
    let box = link.parentElement.querySelector(".download-problem");
    if (!box) {
      box = document.createElement("div");
      box.className = "download-problem alert alert-danger py-1 px-2 small mb-0 w-100";
      box.setAttribute("role", "alert");
      link.parentElement.appendChild(box);
    }
    box.textContent = message;
  }

  function busy(link) {
    const saved = Array.from(link.childNodes);
    link.classList.add("disabled");
    link.setAttribute("aria-disabled", "true");
    link.setAttribute("aria-busy", "true");
    const spinner = document.createElement("span");
    spinner.className = "spinner-border spinner-border-sm me-1";
    spinner.setAttribute("aria-hidden", "true");
    link.replaceChildren(spinner, document.createTextNode("正在生成…"));
    return function done() {
      link.replaceChildren(...saved);
      link.classList.remove("disabled");
      link.removeAttribute("aria-disabled");
      link.removeAttribute("aria-busy");
    };
  }

  async function download(link) {
    if (link.getAttribute("aria-busy") === "true") return;
    const done = busy(link);
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) {
        showProblem(link, await errorMessage(response));
        return;
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const save = document.createElement("a");
      save.href = url;
      save.download = filename(response, "document");
      save.hidden = true;
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    } catch (e) {
      showProblem(link, "网络错误，文件未能下载，请稍后重试。");
    } finally {
      done();
    }
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-progress-download]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    download(link);
  });
})();
