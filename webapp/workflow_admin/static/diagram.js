/* A read-only diagram (bpmn-js NavigatedViewer) with markers: {cssClass: [elementId, ...]}. */
window.hqrDiagram = async function (box, markers) {
  const viewer = new BpmnJS({ container: box });
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
