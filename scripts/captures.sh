#!/usr/bin/env bash
# Regenerates the README's screenshots of the demo's three declared reports
# (docs/captures/*.png): runs the demo pipeline into a temporary folder, takes a
# 1000×1400 screenshot of the top of each report with headless Chromium, and shrinks
# each PNG with pngquant (apt-get install chromium pngquant).
#
#     bash scripts/captures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#^dossier = .*#dossier = \"$tmp/sortie\"#" pipelines/demo.toml > pipelines/.captures.toml
trap 'rm -rf "$tmp" pipelines/.captures.toml' EXIT
cargo run --quiet -- executer pipelines/.captures.toml > /dev/null
for pair in activite-apmn-15:rapport-activite plaidoyer-reseau:plaidoyer copil-anef-cantal:tableau-de-bord-copil; do
  report=${pair%%:*}
  capture=${pair##*:}
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$tmp/profil" --window-size=1000,1400 \
    --screenshot="$tmp/$capture.png" "file://$tmp/sortie/rapports/$report.html" 2> /dev/null
  pngquant --quality=60-85 --speed 1 --force --output "docs/captures/$capture.png" "$tmp/$capture.png"
  echo "docs/captures/$capture.png : $(stat -c %s "docs/captures/$capture.png") octets"
done
