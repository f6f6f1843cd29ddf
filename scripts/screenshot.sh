#!/usr/bin/env bash
# Renders a report's index.html with headless Chromium (Debian's `chromium`) to a PNG, and checks
# that the page rendered: the title and every theme heading must be in the DOM Chromium built.
# Usage: scripts/screenshot.sh [Reports/demo/index.html] [docs/report.png] [width] [height]
set -euo pipefail
page="${1:-Reports/demo/index.html}"
png="${2:-docs/report.png}"
width="${3:-1200}"
height="${4:-2400}"
command -v chromium >/dev/null || { echo "chromium not installed (apt-get install chromium)" >&2; exit 2; }
url="file://$(realpath "$page")"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-dev-shm-usage)
chromium "${flags[@]}" --window-size="$width,$height" --screenshot="$png" "$url" 2>/dev/null
dom=$(chromium "${flags[@]}" --dump-dom "$url" 2>/dev/null)
title=$(grep -o '<h1>[^<]*</h1>' "$page" | head -1 | sed 's/<[^>]*>//g')
status=0
grep -qF "$title" <<<"$dom" || { echo "title not rendered: $title" >&2; status=1; }
for theme in "Enabling policies and regulation" "Market development" "Local capacity development" "Access to finance" "Learning and knowledge sharing"; do
  grep -qF "<h2>$theme</h2>" <<<"$dom" || { echo "theme not rendered: $theme" >&2; status=1; }
done
[ -s "$png" ] || { echo "no screenshot written" >&2; status=1; }
[ "$status" = 0 ] && echo "rendered $page → $png ($(stat -c %s "$png") bytes); title and all themes present"
exit $status
