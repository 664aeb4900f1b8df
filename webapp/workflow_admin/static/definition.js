// A version's diagram on its own page.
hqrDiagram(document.getElementById('diagram'), {});
