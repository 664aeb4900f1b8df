// Two versions side by side: removed/changed marked on the old, added/changed on the new.
(function () {
  const diff = JSON.parse(document.getElementById('diff-data').textContent);
  hqrDiagram(document.getElementById('diagram-old'), { 'hqr-removed': diff.old.removed, 'hqr-changed': diff.old.changed });
  hqrDiagram(document.getElementById('diagram-new'), { 'hqr-added': diff.new.added, 'hqr-changed': diff.new.changed });
})();
