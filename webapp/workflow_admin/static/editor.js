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

  // Chinese tooltips for the palette and context pad.
  const WORDS = {
    'Activate hand tool': '抓手工具', 'Activate lasso tool': '框选工具',
    'Activate create/remove space tool': '插入/删除空间', 'Activate global connect tool': '连线工具',
    'Create start event': '开始事件', 'Create end event': '结束事件', 'Create task': '任务',
    'Create gateway': '网关', 'Create intermediate/boundary event': '中间/边界事件',
    'Create pool/participant': '池', 'Create expanded sub-process': '子流程',
    'Create data object reference': '数据对象', 'Create data store reference': '数据存储',
    'Create group': '分组', 'Append task': '追加任务', 'Append end event': '追加结束事件',
    'Append gateway': '追加网关', 'Append intermediate/boundary event': '追加事件',
    'Append text annotation': '追加注释', 'Change element': '更改类型', 'Change type': '更改类型',
    'Delete': '删除', 'Connect using sequence/message flow or association': '连线',
    'Connect to other element': '连线', 'Add lane above': '在上方添加泳道',
    'Add lane below': '在下方添加泳道', 'Divide into two lanes': '拆分为两条泳道',
    'Divide into three lanes': '拆分为三条泳道', 'User task': '用户任务', 'Service task': '服务任务',
    'Script task': '脚本任务', 'Exclusive gateway': '排他网关', 'Parallel gateway': '并行网关',
    'Inclusive gateway': '包容网关', 'Timer boundary event': '定时边界事件',
    'Timer boundary event (non-interrupting)': '定时边界事件（不中断）',
    'Timer intermediate catch event': '定时中间事件', 'Task': '任务', 'Search in diagram': '在图中搜索',
  };
  const translate = (template, replacements) => {
    const text = WORDS[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && replacements[key]) || '{' + key + '}');
  };

  const modeler = new BpmnJS({
    container: canvasBox,
    additionalModules: [{ translate: ['value', translate] }],
  });
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  const overlays = modeler.get('overlays');
  const selection = modeler.get('selection');
  const panel = HqrPanel(modeler, document.getElementById('panel'), cfg.palette);

  let dirty = false;
  let marked = [];
  let timer = null;
  let busy = false;

  function status(text, cls) {
    statusBox.textContent = text;
    statusBox.className = 'small ' + (cls || 'text-muted');
  }

  try {
    const response = await fetch(cfg.xmlUrl, { credentials: 'same-origin' });
    const result = await modeler.importXML(await response.text());
    canvas.zoom('fit-viewport');
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
    return el ? (el.businessObject.name || id) : (id || '');
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
        status(`已部署为第 ${body.version} 版`, 'text-success');
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
