#!/usr/bin/env bash
# Read report.html as a reader would: render it in a real browser (headless Chromium, with every
# network address unresolvable, so anything not inside the file would be missing) to an A4 PDF
# and to screenshots at desktop and phone widths, then check the PDF's text:
#   - every claim's verdict and figure (from findings.json) is there,
#   - every section title is there and no page is blank;
# and audit it for accessibility (axe-core in the same browser, WCAG 2.1 A/AA and best practice,
# desktop and phone widths, light and dark colour schemes: scripts/report-audit/).
# Writes the renderings to OUTPUT_DIR/report-check/ and, when every check passes,
# docs/report-top.png and docs/report-phone.png (the README's pictures).
#
# Usage: scripts/check-report.sh [OUTPUT_DIR]        (default: output; run `analyse` first)
# Installs Debian's chromium, poppler-utils and nodejs/npm when they are missing (needs root or
# sudo), and the audit's pinned npm packages (scripts/report-audit/package-lock.json) into
# ${XDG_CACHE_HOME:-~/.cache}/ccg-divide/report-audit.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-output}"
report="$out/report.html"
if [ ! -f "$report" ] || [ ! -f "$out/findings.json" ]; then
    echo "check-report: $report or $out/findings.json missing; run: cargo run --release -- analyse --output-dir $out" >&2
    exit 1
fi

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v python3 >/dev/null || need+=(python3)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "check-report: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

check="$out/report-check"
rm -rf "$check"
mkdir -p "$check" docs
abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

# Flags as this machine kind's notes give them for a closed network, plus an unresolvable web
# and no reliance on a large /dev/shm (containers).
# A hung browser fails the check after two minutes instead of holding up CI.
browse() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-dev-shm-usage \
        --disable-background-networking --disable-component-update --disable-sync \
        --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars \
        --user-data-dir="$profile" "$@" "file://$abs" 2>>"$check/chromium.log" >/dev/null || {
        echo "check-report: Chromium failed or timed out on $* (see $check/chromium.log)" >&2
        exit 1
    }
}
browse --no-pdf-header-footer --print-to-pdf="$check/report.pdf"
browse --screenshot="$check/desktop.png" --window-size=1280,2400
browse --screenshot="$check/phone.png" --window-size=390,2400
browse --screenshot="$check/top.png" --window-size=1280,1250
browse --screenshot="$check/phone-top.png" --window-size=390,844
for f in report.pdf desktop.png phone.png top.png phone-top.png; do
    [ -s "$check/$f" ] || { echo "check-report: Chromium wrote no $f (see $check/chromium.log)" >&2; exit 1; }
done

pages=$(pdfinfo "$check/report.pdf" | awk '/^Pages:/ {print $2}')
for ((i = 1; i <= pages; i++)); do
    pdftotext -f "$i" -l "$i" "$check/report.pdf" "$check/page-$i.txt"
done
pdftotext "$check/report.pdf" "$check/report.txt"
pdftotext -bbox "$check/report.pdf" "$check/words.html"

python3 - "$out/findings.json" "$check" "$pages" <<'PY'
import json, re, sys
findings, check, pages = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
def squeeze(s):
    # Lines wrap anywhere and pdftotext drops a hyphen at a line's end: compare without
    # whitespace and without hyphens between letters (a minus sign before a digit stays: no
    # line breaks there).
    s = re.sub(r"[\s\u00ad]+", "", s)
    return re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", "", s)
raw = open(f"{check}/report.txt").read()
text = squeeze(raw)
lines = {line.strip() for line in raw.splitlines()}
# Each badge's symbol (drawn by the stylesheet) by its class; its words are in findings.json.
symbols = {"reproduced": "\u2713", "reproduced-open": "\u2713", "not-reproduced": "\u2717",
           "cannot-be-assessed": "?"}
problems = []
for i, c in enumerate(findings["claims"], 1):
    symbol, verdict = symbols[c["verdict_class"]], c["verdict_words"]
    figure = c["ours"]
    # On paper each claim is a card: "Ours: <figure>" … "Verdict: <badge>" … "Reconstructed rows".
    start = text.find(squeeze(f"Ours: {figure}"))
    end = text.find(squeeze("Reconstructed rows behind it:"), start)
    card = text[start:end] if start >= 0 and end >= 0 else ""
    if not card:
        problems.append(f"claim {i} ({c['id']}): figure {figure!r} not in the PDF")
    elif squeeze(f"Verdict: {symbol} {verdict}") not in card:
        problems.append(f"claim {i} ({c['id']}): verdict {verdict!r} not on its card in the PDF")
    print(f"  claim {i} {c['id']}: {verdict}; {figure}")
for title in ["The published claims", "What the published record settles", "Regions", "Region, area team or CSU?", "CSUs",
              "Robustness to the severity weighting", "Evidence from published facts alone",
              "Reconstruction sensitivity", "Methods and data"]:
    # A heading is a line of its own (body text may use the same words).
    if title not in lines:
        problems.append(f"section heading {title!r} not in the PDF")
# Print size: every word on paper (chart text included, drawn as vector text) at least 7 pt. A
# word's box is the font's ascent plus descent: 1.164 em for DejaVu Sans (the page's and the
# charts' font), so its height in points over 1.164 is its size.
EM_BOX, MIN_PT = 1.164, 7.0
word = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')
sizes = [((float(y1) - float(y0)) / EM_BOX, w) for y0, y1, w in word.findall(open(f"{check}/words.html").read())]
small = sorted((pt, w) for pt, w in sizes if pt < MIN_PT - 0.05)
if not sizes:
    problems.append("no words with positions in the PDF (pdftotext -bbox)")
elif small:
    problems.append(f"{len(small)} words printed under {MIN_PT} pt, e.g. " +
                    ", ".join(f"{w!r} at {pt:.1f} pt" for pt, w in small[:8]))
else:
    print(f"  print: smallest text {min(pt for pt, _ in sizes):.1f} pt over {len(sizes)} words")
blank = [p for p in range(1, pages + 1)
         if len(squeeze(open(f"{check}/page-{p}.txt").read())) < 40]
if blank:
    problems.append(f"blank pages: {blank} of {pages}")
if problems:
    print("check-report: FAILED\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"check-report: ok: {pages} A4 pages, every claim's verdict and figure and every section in the rendered text")
PY
# The accessibility audit. Its packages are installed once per lock file (npm's registry only).
audit_src="scripts/report-audit"
audit_dir="${XDG_CACHE_HOME:-$HOME/.cache}/ccg-divide/report-audit"
if ! cmp -s "$audit_src/package-lock.json" "$audit_dir/package-lock.json" || [ ! -d "$audit_dir/node_modules" ]; then
    echo "check-report: installing the audit's npm packages (axe-core, puppeteer-core) in $audit_dir" >&2
    rm -rf "$audit_dir"
    mkdir -p "$audit_dir"
    cp "$audit_src/package.json" "$audit_src/package-lock.json" "$audit_dir/"
    (cd "$audit_dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
NODE_PATH="$audit_dir/node_modules" timeout 300 node "$audit_src/audit.cjs" "$report" "$(command -v chromium)" "$check"

# The README's pictures (desktop and phone), only from a report that passed.
cp "$check/top.png" docs/report-top.png
cp "$check/phone-top.png" docs/report-phone.png
echo "check-report: renderings in $check (report.pdf, desktop.png, phone.png, *-dark.png); docs/report-top.png and docs/report-phone.png updated"
