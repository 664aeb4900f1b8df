#!/usr/bin/env bash
# bpmn-js NavigatedViewer for the instance page (diagram with highlighted steps). $1 = vendor dir.
set -euo pipefail
out="$1/bpmn-js"
mkdir -p "$out"
cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js "$out/"
cp node_modules/bpmn-js/dist/assets/bpmn-js.css node_modules/bpmn-js/dist/assets/diagram-js.css "$out/"
