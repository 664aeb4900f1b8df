#!/usr/bin/env bash
# bpmn-js Modeler (the BPMN editor of 管理 → 流程定义) and its icon font. $1 = vendor dir.
set -euo pipefail
out="$1/bpmn-js"
mkdir -p "$out/bpmn-font/css" "$out/bpmn-font/font"
cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js "$out/"
cp node_modules/bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css "$out/bpmn-font/css/"
cp node_modules/bpmn-js/dist/assets/bpmn-font/font/* "$out/bpmn-font/font/"
