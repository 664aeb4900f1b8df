/* The BPMN editor page: bpmn-js Modeler + our properties panel, server-side validation shown on
 * the elements concerned, deploy as a new version.  Nothing is saved before the server's
 * validation (webapp.engine.validate_bpmn) passes. */
(async function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('editor-config').textContent);
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  const canvasBox = document.getElementById('canvas');
  const statusBox = document.getElementById('status');
  const problemList = document.getElementById('problems');

  // In Chinese through bpmn-js's translation hook; lanes drawn by their Chinese label
  // (static/js/bpmn_zh.js).
  const modeler = hqrBpmn.create(BpmnJS, { container: canvasBox });
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  const overlays = modeler.get('overlays');
  const selection = modeler.get('selection');
  const panel = HqrPanel(modeler, document.getElementById('panel'), cfg.palette);

  // Fit the diagram beside the palette (which floats over the canvas's left edge), so that it
  // never covers the pool's and lanes' labels.
  function clearOfPalette() {
    canvas.zoom('fit-viewport');
    const palette = canvasBox.querySelector('.djs-palette');
    if (!palette) return;
    const room = palette.getBoundingClientRect().right - canvasBox.getBoundingClientRect().left + 12;
    const inner = canvas.viewbox().inner;
    const width = canvasBox.clientWidth;
    const height = canvasBox.clientHeight;
    const scale = Math.min(1, (width - room - 12) / inner.width, (height - 24) / inner.height);
    canvas.viewbox({
      x: inner.x - room / scale,
      y: inner.y - (height / scale - inner.height) / 2,
      width: width / scale,
      height: height / scale,
    });
  }

  let dirty = false;
  let marked = [];
  let timer = null;
  let busy = false;

  function status(text, cls) {
    statusBox.textContent = text;
    statusBox.className = 'small ' + (cls || 'text-muted');
  }

  // bpmn-moddle drops a reference whose target is not an element of the file: SpiffWorkflow's
  // multi-instance names its collection variable there (<loopDataInputRef>units</...>), so the
  // saved XML lost it and the engine refused the diagram (year_end_assessment could not be
  // edited at all).  Put each one back as a detached placeholder, which bpmn-js writes back by
  // its id: the saved reference is the text the file had.
  function keepUnresolvedReferences(warnings) {
    const moddle = modeler.get('moddle');
    for (const w of warnings || []) {
      if (!w.element || !w.property || !w.value || !/^unresolved reference/.test(w.message || '')) continue;
      const desc = w.element.$descriptor.propertiesByName[w.property];
      if (!desc || !desc.isReference) continue;
      let placeholder;
      try {
        placeholder = moddle.create(desc.type, { id: w.value });
      } catch (err) {
        placeholder = moddle.create('bpmn:BaseElement', { id: w.value });
      }
      if (desc.isMany) w.element.get(desc.name).push(placeholder);
      else w.element.set(desc.name, placeholder);
    }
  }

  try {
    const response = await fetch(cfg.xmlUrl, { credentials: 'same-origin' });
    const result = await modeler.importXML(await response.text());
    keepUnresolvedReferences(result.warnings);
    clearOfPalette();
    if (result.warnings && result.warnings.length) status(`导入时有 ${result.warnings.length} 条提示`, 'text-warning');
  } catch (err) {
    status('流程图加载失败：' + err.message, 'text-danger');
    return;
  }
  canvasBox.dataset.ready = 'true';

  async function post(url) {
    const { xml } = await modeler.saveXML({ format: true });
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/json' },
      body: JSON.stringify({ xml: xml }),
    });
  }

  function label(id) {
    const el = id && registry.get(id);
    return el ? hqrBpmn.elementLabel(el) : '';
  }

  function showProblems(list) {
    overlays.remove({ type: 'hqr-problem' });
    for (const id of marked) if (registry.get(id)) canvas.removeMarker(id, 'hqr-problem');
    marked = [];
    const byId = {};
    for (const p of list) {
      if (p.element_id) (byId[p.element_id] = byId[p.element_id] || []).push(p.message);
    }
    for (const [id, messages] of Object.entries(byId)) {
      if (!registry.get(id)) continue;
      canvas.addMarker(id, 'hqr-problem');
      marked.push(id);
      const badge = document.createElement('div');
      badge.className = 'hqr-problem-badge';
      badge.dataset.element = id;
      badge.title = messages.join('\n');
      badge.textContent = messages.length > 1 ? String(messages.length) : '!';
      overlays.add(id, 'hqr-problem', { position: { top: -9, right: 9 }, html: badge });
    }
    problemList.replaceChildren();
    for (const p of list) {
      const li = document.createElement('li');
      li.dataset.element = p.element_id || '';
      li.textContent = (p.element_id ? `【${label(p.element_id)}】` : '') + p.message;
      li.addEventListener('click', () => {
        const el = p.element_id && registry.get(p.element_id);
        if (el) { selection.select(el); canvas.scrollToElement(el); }
      });
      problemList.append(li);
    }
    problemList.dataset.checked = String(Date.now());
    panel.setProblems(byId);
    if (list.length) status(`校验发现 ${list.length} 个问题`, 'text-danger');
    else status('校验通过，可以部署', 'text-success');
  }

  async function validate() {
    clearTimeout(timer);
    try {
      const r = await post(cfg.validateUrl);
      const body = await r.json();
      if (!r.ok) { status(body.message || '校验失败', 'text-danger'); return null; }
      showProblems(body.problems);
      return body.problems;
    } catch (err) {
      status('校验请求失败：' + err.message, 'text-danger');
      return null;
    }
  }

  async function deploy() {
    if (busy) return;
    busy = true;
    const button = document.getElementById('btn-deploy');
    if (window.hqrBusy) window.hqrBusy.set(button, '部署中…');
    status('正在校验并部署…');
    try {
      const r = await post(cfg.deployUrl);
      const body = await r.json();
      if (r.status === 201) {
        dirty = false;
        status(body.message || `已部署为第 ${body.version} 版`, 'text-success');
        window.location.assign(body.url);
        return;
      }
      if (body.problems) showProblems(body.problems);
      status(body.message || '部署失败', 'text-danger');
    } catch (err) {
      status('部署请求失败：' + err.message, 'text-danger');
    } finally {
      busy = false;
      if (window.hqrBusy) window.hqrBusy.clear(button);
    }
  }

  modeler.on('commandStack.changed', () => {
    dirty = true;
    status('有未部署的修改');
    clearTimeout(timer);
    timer = setTimeout(validate, 1200);
  });
  window.addEventListener('beforeunload', (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } });

  document.getElementById('btn-validate').addEventListener('click', validate);
  document.getElementById('btn-deploy').addEventListener('click', deploy);
  document.getElementById('btn-undo').addEventListener('click', () => modeler.get('commandStack').undo());
  document.getElementById('btn-download').addEventListener('click', async () => {
    const { xml } = await modeler.saveXML({ format: true });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    a.download = cfg.key + '.bpmn';
    a.click();
    URL.revokeObjectURL(a.href);
  });

  // For tests and the curious: the modeler instance.
  window.hqrModeler = modeler;
  validate();
})();
