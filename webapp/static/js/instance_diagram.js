// The process diagram of an instance page: completed steps green, current steps orange.
(async function () {
  const box = document.getElementById('diagram');
  if (!box) return;
  const marks = JSON.parse(document.getElementById('diagram-marks').textContent);
  const viewer = new BpmnJS({ container: box });
  try {
    const xml = await (await fetch(box.dataset.url, { credentials: 'same-origin' })).text();
    await viewer.importXML(xml);
    viewer.get('canvas').zoom('fit-viewport');
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    for (const id of marks.completed) { if (registry.get(id)) canvas.addMarker(id, 'hl-completed'); }
    for (const id of marks.current) { if (registry.get(id)) canvas.addMarker(id, 'hl-current'); }
    box.dataset.ready = 'true';
  } catch (err) {
    box.textContent = '流程图加载失败：' + err.message;
  }
})();
