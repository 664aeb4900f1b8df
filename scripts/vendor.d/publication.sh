#!/usr/bin/env bash
# ECharts (common build: line/bar charts, tooltip, legend) for the public portal's quality-index
# trend chart. $1 = vendor dir.
set -euo pipefail
out="$1/echarts"
mkdir -p "$out"
cp node_modules/echarts/dist/echarts.common.min.js "$out/"
cp node_modules/echarts/LICENSE "$out/" 2>/dev/null || true
