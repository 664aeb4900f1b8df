#!/usr/bin/env bash
# Copy the front-end packages installed by npm (package-lock.json) into webapp/static/vendor,
# so the app serves them itself: no CDN at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=webapp/static/vendor
rm -rf "$out"
mkdir -p "$out/bootstrap/css" "$out/bootstrap/js" "$out/swagger-ui"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap/css/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap/js/"
cp node_modules/swagger-ui-dist/{swagger-ui.css,swagger-ui-bundle.js,swagger-ui-standalone-preset.js} "$out/swagger-ui/"
# Feature packages append their assets in scripts/vendor.d/*.sh
for extra in scripts/vendor.d/*.sh; do
  [ -e "$extra" ] && bash "$extra" "$out"
done
echo "vendor assets ready in $out"
