/* The properties panel of the BPMN editor: what this product reads from a BPMN file.
 *
 * Writes exactly what webapp.engine reads (docs/engine.md):
 *   lane name            "<显示名> <role>@<self|parent|grandparent|province>"
 *   user task            spiffworkflow:properties / property formKey, outcomes, status, returnedStatus
 *   service task         spiffworkflow:serviceTaskOperator id=<operation> + parameters
 *   timer events         bpmn:timeDuration | timeDate | timeCycle (a Python expression)
 *   boundary timer       cancelActivity, property due=true (non-interrupting deadline)
 *   gateway / flows      bpmn:conditionExpression, the gateway's default flow
 * Spiff extension elements stay generic moddle elements (no descriptor), so whatever else a
 * file carries in that namespace is written back untouched.
 */
(function () {
  'use strict';
  const SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  const LANE_RE = /^(.*?)\s*([a-z_]+)@(self|parent|grandparent|province)\s*$/;
  const TIMER_KINDS = [
    { value: 'timeDuration', label: '时长（如 "P3D" 三天）' },
    { value: 'timeDate', label: '日期时间（如 "2026-03-31T17:00:00+08:00"）' },
    { value: 'timeCycle', label: '周期（如 "R/2026-01-01T00:00:00+08:00/P3M"）' },
  ];

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
    return el;
  }

  function localName(el) {
    const t = (el && el.$type) || '';
    const i = t.indexOf(':');
    return i >= 0 ? t.slice(i + 1) : t;
  }
  function isSpiff(el, local) {
    return localName(el) === local && ((el.$type || '').startsWith('spiffworkflow:') ||
      (el.$descriptor && el.$descriptor.ns && el.$descriptor.ns.uri === SPIFF_NS));
  }
  function attr(el, name) {
    if (el[name] !== undefined) return el[name];
    return el.$attrs ? el.$attrs[name] : undefined;
  }
  function children(el, local) {
    return (el.$children || []).filter((c) => localName(c) === local);
  }

  window.HqrPanel = function (modeler, box, palette) {
    const modeling = modeler.get('modeling');
    const moddle = modeler.get('moddle');
    const registry = modeler.get('elementRegistry');
    let current = null;
    let problems = {};

    function any(type, props) {
      return moddle.createAny('spiffworkflow:' + type, SPIFF_NS, props || {});
    }
    function spiffAll(bo, local) {
      const ext = bo.extensionElements;
      return ext && ext.values ? ext.values.filter((v) => isSpiff(v, local)) : [];
    }
    function writeSpiff(element, local, child) {
      const bo = element.businessObject;
      const old = bo.extensionElements;
      const values = (old && old.values ? old.values : []).filter((v) => !isSpiff(v, local));
      if (child) values.push(child);
      let ext;
      if (values.length) {
        ext = moddle.create('bpmn:ExtensionElements', { values: values });
        values.forEach((v) => { v.$parent = ext; });
      }
      modeling.updateProperties(element, { extensionElements: ext });
    }

    // spiffworkflow:properties ---------------------------------------------------------------
    function readProps(bo) {
      const out = [];
      for (const p of spiffAll(bo, 'properties')) {
        for (const c of children(p, 'property')) out.push([attr(c, 'name'), attr(c, 'value')]);
      }
      return out;
    }
    function getProp(bo, name) {
      const hit = readProps(bo).find(([n]) => n === name);
      return hit ? hit[1] : '';
    }
    function setProp(element, name, value) {
      const props = readProps(element.businessObject).filter(([n]) => n !== name);
      if (value !== '' && value !== null && value !== undefined) props.push([name, value]);
      let el = null;
      if (props.length) {
        const kids = props.map(([n, v]) => any('property', { name: n, value: v }));
        el = any('properties', { $children: kids });
        kids.forEach((k) => { k.$parent = el; });
      }
      writeSpiff(element, 'properties', el);
    }

    // spiffworkflow:serviceTaskOperator --------------------------------------------------------
    function readOperator(bo) {
      const op = spiffAll(bo, 'serviceTaskOperator')[0];
      if (!op) return { id: '', resultVariable: '', params: [] };
      const params = [];
      for (const ps of children(op, 'parameters')) {
        for (const p of children(ps, 'parameter')) {
          params.push({ id: attr(p, 'id') || '', value: attr(p, 'value') || '', type: attr(p, 'type') || 'str' });
        }
      }
      return { id: attr(op, 'id') || '', resultVariable: attr(op, 'resultVariable') || '', params: params };
    }
    function writeOperator(element, op) {
      if (!op.id) { writeSpiff(element, 'serviceTaskOperator', null); return; }
      const params = op.params.filter((p) => p.id).map((p) => any('parameter', { id: p.id, type: p.type || 'str', value: p.value }));
      const kids = [];
      if (params.length) {
        const ps = any('parameters', { $children: params });
        params.forEach((p) => { p.$parent = ps; });
        kids.push(ps);
      }
      const props = { id: op.id, $children: kids };
      if (op.resultVariable) props.resultVariable = op.resultVariable;
      const el = any('serviceTaskOperator', props);
      kids.forEach((k) => { k.$parent = el; });
      writeSpiff(element, 'serviceTaskOperator', el);
    }

    // widgets ----------------------------------------------------------------------------------
    function field(label, control, help) {
      return h('div', {}, h('label', { for: control.id }, label), control, help ? h('div', { class: 'form-text' }, help) : null);
    }
    function text(id, value, onchange, placeholder) {
      return h('input', {
        class: 'form-control form-control-sm', id: id, value: value || '', placeholder: placeholder,
        onchange: (e) => onchange(e.target.value.trim()),
      });
    }
    function choice(id, options, value, onchange, empty) {
      const s = h('select', { class: 'form-select form-select-sm', id: id, onchange: (e) => onchange(e.target.value) });
      if (empty !== undefined) s.append(h('option', { value: '' }, empty));
      let found = false;
      for (const o of options) {
        s.append(h('option', { value: o.value }, o.label));
        if (o.value === value) found = true;
      }
      if (value && !found) s.append(h('option', { value: value }, value + '（未注册）'));
      s.value = value || '';
      return s;
    }

    function nameField(element) {
      return field('名称', text('p-name', element.businessObject.name, (v) => modeling.updateProperties(element, { name: v || undefined })));
    }

    function laneSection(element) {
      const name = element.businessObject.name || '';
      const m = LANE_RE.exec(name);
      const state = m ? { label: m[1], role: m[2], rel: m[3] } : { label: name, role: '', rel: 'self' };
      const write = () => {
        const composed = state.role ? `${state.label} ${state.role}@${state.rel}`.trim() : state.label;
        modeling.updateProperties(element, { name: composed });
      };
      return [
        h('h2', {}, '泳道：谁来办理'),
        m ? null : h('div', { class: 'element-problems' }, '此泳道未声明角色和单位，其中的用户任务无人可办。'),
        field('显示名', text('p-lane-label', state.label, (v) => { state.label = v; write(); }), '如“分管领导”“上级审核人”'),
        field('角色', choice('p-lane-role', palette.roles, state.role, (v) => { state.role = v; write(); }, '（请选择）')),
        field('单位', choice('p-lane-rel', palette.relations, state.rel, (v) => { state.rel = v; write(); }),
          '相对于流程所属单位（报送单位）而言'),
        h('div', { class: 'form-text' }, '泳道名称：', h('code', { id: 'p-lane-name' }, name)),
      ];
    }

    function outcomesEditor(element) {
      const raw = getProp(element.businessObject, 'outcomes');
      const rows = raw.replace(/，/g, ',').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const i = s.indexOf(':');
        return i >= 0 ? { value: s.slice(0, i).trim(), label: s.slice(i + 1).trim() } : { value: s, label: s };
      });
      const save = () => setProp(element, 'outcomes', rows.filter((r) => r.value).map((r) => `${r.value}:${r.label || r.value}`).join(','));
      const list = h('div', { id: 'p-outcomes' });
      rows.forEach((r, i) => {
        list.append(h('div', { class: 'outcome-row' },
          h('input', { class: 'form-control form-control-sm', value: r.value, placeholder: '值，如 approve', 'aria-label': '结果值', onchange: (e) => { r.value = e.target.value.trim(); save(); } }),
          h('input', { class: 'form-control form-control-sm', value: r.label, placeholder: '按钮文字，如 同意', 'aria-label': '按钮文字', onchange: (e) => { r.label = e.target.value.trim(); save(); } }),
          h('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', title: '删除', onclick: () => { rows.splice(i, 1); save(); } }, '×')));
      });
      list.append(h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', id: 'p-outcome-add', onclick: () => { rows.push({ value: 'approve', label: '同意' }); save(); } }, '+ 办理结果'));
      return h('div', {}, h('label', {}, '办理结果（按钮）'), list,
        h('div', { class: 'form-text' }, '网关条件中用 outcome == "值" 判断；值 return 表示退回（须填审批意见）。'));
    }

    function userTaskSection(element) {
      const bo = element.businessObject;
      return [
        h('h2', {}, '用户任务'),
        field('表单', choice('p-form', palette.forms, getProp(bo, 'formKey'), (v) => setProp(element, 'formKey', v), '（请选择）')),
        outcomesEditor(element),
        field('办理中的业务状态', choice('p-status', palette.statuses, getProp(bo, 'status'), (v) => setProp(element, 'status', v), '（不改变）'),
          '业务状态是系统定义的代码，报表、公开、考核按代码判断所处阶段；显示名称不可在此修改。'),
        field('退回后的业务状态', choice('p-returned', palette.statuses, getProp(bo, 'returnedStatus'), (v) => setProp(element, 'returnedStatus', v), '（同上）')),
        h('div', { class: 'form-text' }, '办理人由所在泳道决定：把任务拖进对应泳道。'),
      ];
    }

    function serviceTaskSection(element) {
      const op = readOperator(element.businessObject);
      const ops = palette.operations.map((o) => ({ value: o, label: o }));
      const params = h('div', { id: 'p-params' });
      op.params.forEach((p, i) => {
        params.append(h('div', { class: 'param-row' },
          h('input', { class: 'form-control form-control-sm', value: p.id, placeholder: '参数名', 'aria-label': '参数名', onchange: (e) => { p.id = e.target.value.trim(); writeOperator(element, op); } }),
          h('input', { class: 'form-control form-control-sm', value: p.value, placeholder: "表达式，如 '逾期'", 'aria-label': '参数表达式', onchange: (e) => { p.value = e.target.value.trim(); writeOperator(element, op); } }),
          h('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', title: '删除', onclick: () => { op.params.splice(i, 1); writeOperator(element, op); } }, '×')));
      });
      params.append(h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => { op.params.push({ id: 'message', value: "''", type: 'str' }); writeOperator(element, op); } }, '+ 参数'));
      return [
        h('h2', {}, '服务任务'),
        field('服务操作', choice('p-operation', ops, op.id, (v) => { op.id = v; writeOperator(element, op); }, '（请选择）')),
        h('label', {}, '参数'), params,
        h('div', { class: 'form-text' }, "参数值是表达式：文字要加引号，如 '即将到期'；也可写流程变量名。"),
        field('结果变量', text('p-result', op.resultVariable, (v) => { op.resultVariable = v; writeOperator(element, op); }, '可不填')),
      ];
    }

    function timerSection(element, def) {
      const kind = TIMER_KINDS.find((k) => def[k.value]) || TIMER_KINDS[0];
      const state = { kind: kind.value, body: def[kind.value] ? def[kind.value].body || '' : '' };
      const write = () => {
        const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
        if (state.body) props[state.kind] = moddle.create('bpmn:FormalExpression', { body: state.body });
        modeling.updateModdleProperties(element, def, props);
      };
      const out = [
        h('h2', {}, '定时器'),
        field('类型', choice('p-timer-kind', TIMER_KINDS, state.kind, (v) => { state.kind = v; write(); })),
        field('表达式', text('p-timer', state.body, (v) => { state.body = v; write(); }, '"P3D"'),
          '这是表达式：固定值要带英文引号，如 "P3D"；也可写流程变量名。'),
      ];
      const bo = element.businessObject;
      if (bo.$type === 'bpmn:BoundaryEvent') {
        out.push(h('div', { class: 'form-check mt-2' },
          h('input', { class: 'form-check-input', type: 'checkbox', id: 'p-cancel', checked: bo.cancelActivity !== false, onchange: (e) => modeling.updateProperties(element, { cancelActivity: e.target.checked }) }),
          h('label', { class: 'form-check-label', for: 'p-cancel' }, '中断任务（到期后任务取消，走此分支）')));
        if (bo.cancelActivity === false) {
          out.push(h('div', { class: 'form-check' },
            h('input', { class: 'form-check-input', type: 'checkbox', id: 'p-due', checked: getProp(bo, 'due') === 'true', onchange: (e) => setProp(element, 'due', e.target.checked ? 'true' : '') }),
            h('label', { class: 'form-check-label', for: 'p-due' }, '作为任务的办理期限显示')));
        }
      }
      return out;
    }

    function isChoiceGateway(bo) {
      return bo && (bo.$type === 'bpmn:ExclusiveGateway' || bo.$type === 'bpmn:InclusiveGateway');
    }

    function flowSection(element) {
      const bo = element.businessObject;
      const source = element.source;
      if (!source || !isChoiceGateway(source.businessObject)) return [];
      const isDefault = source.businessObject.default === bo;
      const body = bo.conditionExpression ? bo.conditionExpression.body || '' : '';
      return [
        h('h2', {}, '网关分支'),
        h('div', { class: 'form-check' },
          h('input', { class: 'form-check-input', type: 'checkbox', id: 'p-default', checked: isDefault, onchange: (e) => modeling.updateProperties(source, { default: e.target.checked ? bo : undefined }) }),
          h('label', { class: 'form-check-label', for: 'p-default' }, '默认流向（其他条件都不满足时）')),
        isDefault ? null : field('条件', text('p-condition', body, (v) => modeling.updateProperties(element, {
          conditionExpression: v ? moddle.create('bpmn:FormalExpression', { body: v }) : undefined,
        }), 'outcome == "return"'), 'Python 表达式，读取任务数据，如 outcome == "return"'),
      ];
    }

    function gatewaySection(element) {
      const bo = element.businessObject;
      const flows = (element.outgoing || []).map((c) => ({
        value: c.id,
        label: (c.businessObject.name || '连线') + ' → ' + (c.target ? hqrBpmn.elementLabel(c.target) : ''),
      }));
      return [
        h('h2', {}, '网关'),
        field('默认流向', choice('p-gw-default', flows, bo.default ? bo.default.id : '', (v) => {
          const conn = v ? registry.get(v) : null;
          modeling.updateProperties(element, { default: conn ? conn.businessObject : undefined });
        }, '（无）'), '排他网关必须有默认流向；其他分支在连线上设置条件。'),
      ];
    }

    function add(nodes) {
      for (const n of nodes) if (n !== null && n !== undefined) box.append(n);
    }

    function render() {
      const element = current;
      box.replaceChildren();
      if (!element || !registry.get(element.id)) {
        box.append(h('p', { class: 'text-muted' }, '点击流程图中的元素，在这里设置泳道角色、表单、办理结果、服务操作、定时器和网关条件。'));
        return;
      }
      const bo = element.businessObject;
      const type = bo.$type;
      box.append(h('div', { class: 'small text-muted mb-1', id: 'p-type', title: element.id }, hqrBpmn.typeLabel(type), ' · ', hqrBpmn.elementLabel(element)));
      const mine = problems[element.id] || [];
      if (mine.length) box.append(h('div', { class: 'element-problems', id: 'p-problems' }, mine.map((m) => h('div', {}, m))));
      if (type === 'bpmn:Process' || type === 'bpmn:Collaboration') {
        box.append(h('p', {}, '流程：', (bo.processRef || bo).name || '（未命名）'));
        return;
      }
      if (type === 'bpmn:Lane') { add(laneSection(element)); return; }
      box.append(nameField(element));
      if (type === 'bpmn:UserTask') add(userTaskSection(element));
      if (type === 'bpmn:ServiceTask') add(serviceTaskSection(element));
      if (type === 'bpmn:SequenceFlow') add(flowSection(element));
      if (isChoiceGateway(bo)) add(gatewaySection(element));
      const timer = (bo.eventDefinitions || []).find((d) => d.$type === 'bpmn:TimerEventDefinition');
      if (timer) add(timerSection(element, timer));
    }

    modeler.on('selection.changed', (e) => { current = e.newSelection.length === 1 ? e.newSelection[0] : null; render(); });
    modeler.on('commandStack.changed', () => {
      const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : null;
      render();
      if (focused) { const el = document.getElementById(focused); if (el) el.focus(); }
    });

    return {
      setProblems(map) { problems = map; render(); },
      select(element) { current = element; render(); },
    };
  };
})();
