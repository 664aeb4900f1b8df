/* bpmn-js in Chinese, for every diagram of the product (the editor, a version's diagram, the
 * comparison, an instance's 流程图与办理记录).
 *
 *  - hqrBpmn.translateModule: bpmn-js's translation hook ({translate: ['value', fn]}) with a
 *    dictionary of what its palette, context pad and replace menu say;
 *  - hqrBpmn.laneLabel(name): a lane's name without its "role@whose" code (docs/engine.md), or
 *    the Chinese words of that code when the lane has no display name (上级审核人);
 *  - hqrBpmn.typeLabel(type) / elementLabel(element): Chinese names of element types, and an
 *    element's name falling back to its type, never its id;
 *  - hqrBpmn.create(Constructor, options): a viewer or modeler with the dictionary, whose lanes
 *    are drawn with their Chinese labels (the XML keeps the codes the engine reads).
 * The role and relation words come from the server (templates/_bpmn.html, #bpmn-words).
 */
window.hqrBpmn = (function () {
  'use strict';
  const LANE_RE = /\s*([a-z_]+)@(self|parent|grandparent|province)\s*$/;

  const TYPES = {
    'bpmn:Task': '任务', 'bpmn:UserTask': '用户任务', 'bpmn:ServiceTask': '服务任务',
    'bpmn:ScriptTask': '脚本任务', 'bpmn:SendTask': '发送任务', 'bpmn:ReceiveTask': '接收任务',
    'bpmn:ManualTask': '人工任务', 'bpmn:BusinessRuleTask': '业务规则任务', 'bpmn:CallActivity': '调用活动',
    'bpmn:SubProcess': '子流程', 'bpmn:AdHocSubProcess': '自由子流程', 'bpmn:Transaction': '事务',
    'bpmn:StartEvent': '开始事件', 'bpmn:EndEvent': '结束事件', 'bpmn:BoundaryEvent': '边界事件',
    'bpmn:IntermediateCatchEvent': '中间捕获事件', 'bpmn:IntermediateThrowEvent': '中间抛出事件',
    'bpmn:ExclusiveGateway': '排他网关', 'bpmn:ParallelGateway': '并行网关',
    'bpmn:InclusiveGateway': '包容网关', 'bpmn:EventBasedGateway': '事件网关', 'bpmn:ComplexGateway': '复杂网关',
    'bpmn:SequenceFlow': '顺序流', 'bpmn:MessageFlow': '消息流', 'bpmn:Association': '关联',
    'bpmn:Lane': '泳道', 'bpmn:Participant': '池', 'bpmn:Process': '流程', 'bpmn:Collaboration': '协作',
    'bpmn:TextAnnotation': '注释', 'bpmn:Group': '分组', 'bpmn:DataObjectReference': '数据对象',
    'bpmn:DataStoreReference': '数据存储', 'label': '标签',
  };

  // Event names are a kind × a place: one table of kinds and one row per place, rather than
  // sixty spelled-out pairs (the few irregular translations stay in WORDS below).
  const EVENT_KINDS = {
    Message: '消息', Timer: '定时', Conditional: '条件', Signal: '信号', Escalation: '升级',
    Error: '错误', Compensation: '补偿', Cancel: '取消', Link: '链接', Terminate: '终止',
  };
  const EVENT_PLACES = [
    // [English with {kind} or {lower}, Chinese with {kind}, the kinds that exist there]
    ['{kind} start event', '{kind}开始事件', 'Message Timer Conditional Signal Error Escalation Compensation'],
    ['{kind} start event (non-interrupting)', '{kind}开始事件（不中断）', 'Message Timer Conditional Signal Escalation'],
    ['{kind} intermediate catch event', '{kind}中间捕获事件', 'Message Link Signal'],
    ['{kind} intermediate throw event', '{kind}中间抛出事件', 'Message Escalation Link Compensation Signal'],
    ['{kind} end event', '{kind}结束事件', 'Message Escalation Error Cancel Compensation Signal Terminate'],
    ['{kind} boundary event', '{kind}边界事件', 'Message Timer Escalation Conditional Error Cancel Signal Compensation'],
    ['{kind} boundary event (non-interrupting)', '{kind}边界事件（不中断）', 'Message Timer Escalation Conditional Signal'],
    ['Append {lower} intermediate catch event', '追加{kind}中间事件', 'Message Timer Conditional Signal'],
  ];
  const EVENT_WORDS = {};
  for (const [english, chinese, kinds] of EVENT_PLACES) {
    for (const kind of kinds.split(' ')) {
      const key = english.replace('{kind}', kind).replace('{lower}', kind.toLowerCase());
      EVENT_WORDS[key] = chinese.replace('{kind}', EVENT_KINDS[kind]);
    }
  }

  const WORDS = {
    ...EVENT_WORDS,
    // palette
    'Activate hand tool': '抓手工具（拖动画布）', 'Activate lasso tool': '框选工具',
    'Activate create/remove space tool': '插入/删除空白', 'Activate global connect tool': '连线工具',
    'Create start event': '开始事件', 'Create end event': '结束事件', 'Create task': '任务',
    'Create gateway': '网关', 'Create intermediate/boundary event': '中间/边界事件',
    'Create pool/participant': '池', 'Create expanded sub-process': '子流程（展开）',
    'Create data object reference': '数据对象', 'Create data store reference': '数据存储',
    'Create group': '分组',
    // context pad
    'Append task': '追加任务', 'Append end event': '追加结束事件', 'Append gateway': '追加网关',
    'Append intermediate/boundary event': '追加中间/边界事件', 'Append text annotation': '追加注释',
    'Add text annotation': '添加注释', 'Append receive task': '追加接收任务',
    'Append compensation activity': '追加补偿活动',
    'Change element': '更改类型', 'Change type': '更改类型', 'Delete': '删除',
    'Connect using sequence/message flow or association': '连线', 'Connect to other element': '连线',
    'Connect using association': '关联连线', 'Connect using data input association': '数据输入关联',
    'Add lane above': '在上方添加泳道', 'Add lane below': '在下方添加泳道',
    'Divide into two lanes': '拆分为两条泳道', 'Divide into three lanes': '拆分为三条泳道',
    'Align elements': '对齐', 'Align elements left': '左对齐', 'Align elements right': '右对齐',
    'Align elements center': '水平居中', 'Align elements top': '顶端对齐', 'Align elements bottom': '底端对齐',
    'Align elements middle': '垂直居中', 'Distribute elements horizontally': '水平均匀分布',
    'Distribute elements vertically': '垂直均匀分布', 'Search in diagram': '在图中搜索',
    'Open {element}': '打开{element}',
    // replace menu
    'Task': '任务', 'User task': '用户任务', 'Service task': '服务任务', 'Script task': '脚本任务',
    'Send task': '发送任务', 'Receive task': '接收任务', 'Manual task': '人工任务',
    'Business rule task': '业务规则任务', 'Call activity': '调用活动',
    'Sub-process': '子流程', 'Sub-process (collapsed)': '子流程（折叠）', 'Sub-process (expanded)': '子流程（展开）',
    'Ad-hoc sub-process': '自由子流程', 'Ad-hoc sub-process (collapsed)': '自由子流程（折叠）',
    'Ad-hoc sub-process (expanded)': '自由子流程（展开）', 'Event sub-process': '事件子流程',
    'Transaction': '事务', 'Start event': '开始事件', 'End event': '结束事件',
    'Intermediate throw event': '中间抛出事件', 'Boundary event': '边界事件',
    'Exclusive gateway': '排他网关', 'Parallel gateway': '并行网关', 'Inclusive gateway': '包容网关',
    'Complex gateway': '复杂网关', 'Event-based gateway': '事件网关',
    'Event based instantiating Gateway': '事件网关（启动实例）',
    'Parallel Event based instantiating Gateway': '并行事件网关（启动实例）',
    'Timer intermediate catch event': '定时中间事件',
    'Conditional intermediate catch event': '条件中间事件',
    'Sequence flow': '顺序流', 'Default flow': '默认流向', 'Conditional flow': '条件流向',
    'Data object reference': '数据对象', 'Data store reference': '数据存储',
    'Expanded pool/participant': '池（展开）', 'Empty pool/participant': '池（空）',
    'Parallel multi-instance': '并行多实例', 'Sequential multi-instance': '串行多实例', 'Loop': '循环',
    'Collection': '集合', 'Participant multiplicity': '参与者多重性',
    'Toggle non-interrupting': '切换“不中断”', 'Ad-hoc': '自由',
    // modeling feedback
    'flow elements must be children of pools/participants': '流程元素必须放在池内',
    'Data object must be placed within a pool/participant.': '数据对象必须放在池内。',
  };

  function translate(template, replacements) {
    const text = WORDS[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && replacements[key]) || '{' + key + '}');
  }

  let words = null;
  function serverWords() {
    if (words) return words;
    const box = document.getElementById('bpmn-words');
    words = box ? JSON.parse(box.textContent) : { roles: {}, relations: {} };
    return words;
  }

  /** A lane's name as people read it: 本级填表人, never "clerk@self". */
  function laneLabel(name) {
    const text = (name || '').trim();
    const m = LANE_RE.exec(text);
    if (!m) return text;
    const label = text.slice(0, m.index).trim();
    if (label) return label;
    const w = serverWords();
    return (w.relations[m[2]] || '') + (w.roles[m[1]] || '');
  }

  function typeLabel(type) {
    return TYPES[type] || '元素';
  }

  function elementLabel(element) {
    const bo = element && element.businessObject;
    if (!bo) return '';
    if (bo.$type === 'bpmn:Lane') return laneLabel(bo.name) || typeLabel(bo.$type);
    return bo.name || '未命名' + typeLabel(bo.$type);
  }

  /** Draw lanes with their Chinese label; the model (and the saved XML) keeps the name. */
  function chineseLanes(diagram) {
    const renderer = diagram.get('bpmnRenderer');
    const draw = renderer.drawShape.bind(renderer);
    renderer.drawShape = function (gfx, element, attrs) {
      const bo = element.businessObject;
      if (!bo || bo.$type !== 'bpmn:Lane' || !bo.name) return draw(gfx, element, attrs);
      const name = bo.name;
      bo.name = laneLabel(name);
      try { return draw(gfx, element, attrs); } finally { bo.name = name; }
    };
  }

  function create(Constructor, options) {
    const modules = (options.additionalModules || []).concat([{ translate: ['value', translate] }]);
    const diagram = new Constructor(Object.assign({}, options, { additionalModules: modules }));
    chineseLanes(diagram);
    return diagram;
  }

  return { translate, laneLabel, typeLabel, elementLabel, create, words: WORDS };
})();

/* A read-only diagram with markers ({cssClass: [elementId, ...]}), loaded from box.dataset.url. */
window.hqrDiagram = async function (box, markers) {
  const viewer = window.hqrBpmn.create(BpmnJS, { container: box });
  try {
    const xml = await (await fetch(box.dataset.url, { credentials: 'same-origin' })).text();
    await viewer.importXML(xml);
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    canvas.zoom('fit-viewport');
    for (const [cls, ids] of Object.entries(markers || {})) {
      for (const id of ids || []) {
        if (id && registry.get(id)) canvas.addMarker(id, cls);
      }
    }
    box.dataset.ready = 'true';
  } catch (err) {
    box.textContent = '流程图加载失败：' + err.message;
  }
  return viewer;
};
