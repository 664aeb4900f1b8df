// The process diagram of an instance page: completed steps green, current steps orange.
(function () {
  const box = document.getElementById('diagram');
  if (!box) return;
  const marks = JSON.parse(document.getElementById('diagram-marks').textContent);
  hqrDiagram(box, { 'hl-completed': marks.completed, 'hl-current': marks.current });
})();
