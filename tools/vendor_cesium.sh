#!/usr/bin/env bash
# Copy the parts of CesiumJS the dashboard uses into src/orbitgrid/web/static/cesium.
# Usage: tools/vendor_cesium.sh [VERSION]   (npm install runs in /tmp/cesium-build, never the repo)
set -euo pipefail
version="${1:-1.140.0}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
build=/tmp/cesium-build
mkdir -p "$build"
(cd "$build" && [ -f package.json ] || npm init -y >/dev/null)
(cd "$build" && npm install --no-audit --no-fund "cesium@$version" >/dev/null)
src="$build/node_modules/cesium/Build/Cesium"
dst="$repo/src/orbitgrid/web/static/cesium"
rm -rf "$dst"
mkdir -p "$dst/Assets/Textures"
cp "$src/Cesium.js" "$dst/"
cp -r "$src/Workers" "$src/Widgets" "$dst/"
# widgets.css bundles every widget's stylesheet; the info box loads its own at run time
find "$dst/Widgets" -name "*.css" ! -name widgets.css ! -name InfoBoxDescription.css -delete
# Assets: imagery (Natural Earth II), Earth orientation (IAU2006_XYS), credit images, terrain
# heights table. The globe runs without sky box, sun and moon (see static/globe.js).
cp -r "$src/Assets/Images" "$src/Assets/IAU2006_XYS" "$src/Assets/approximateTerrainHeights.json" \
  "$dst/Assets/"
cp -r "$src/Assets/Textures/NaturalEarthII" "$dst/Assets/Textures/"
cp "$build/node_modules/cesium/LICENSE.md" "$dst/LICENSE.md"
echo "cesium@$version: Build/Cesium without ThirdParty wasm, SkyBox, moon, LensFlare, maki, water" \
  > "$dst/VERSION.txt"
du -sh "$dst"
