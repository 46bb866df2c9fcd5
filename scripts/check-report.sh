#!/usr/bin/env bash
# Read report.html as a reader would: render it in a real browser (headless Chromium, with every
# network address unresolvable, so anything not inside the file would be missing) to an A4 PDF
# and to screenshots at desktop and phone widths, then check the PDF's text:
#   - every claim's verdict and figure (from findings.json) is there,
#   - every section title is there and no page is blank.
# Writes the renderings to OUTPUT_DIR/report-check/ and, when every check passes,
# docs/report-top.png (the README's picture).
#
# Usage: scripts/check-report.sh [OUTPUT_DIR]        (default: output; run `analyse` first)
# Installs Debian's chromium and poppler-utils when they are missing (needs root or sudo).
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
for f in report.pdf desktop.png phone.png top.png; do
    [ -s "$check/$f" ] || { echo "check-report: Chromium wrote no $f (see $check/chromium.log)" >&2; exit 1; }
done

pages=$(pdfinfo "$check/report.pdf" | awk '/^Pages:/ {print $2}')
for ((i = 1; i <= pages; i++)); do
    pdftotext -f "$i" -l "$i" "$check/report.pdf" "$check/page-$i.txt"
done
pdftotext "$check/report.pdf" "$check/report.txt"

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
blank = [p for p in range(1, pages + 1)
         if len(squeeze(open(f"{check}/page-{p}.txt").read())) < 40]
if blank:
    problems.append(f"blank pages: {blank} of {pages}")
if problems:
    print("check-report: FAILED\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"check-report: ok: {pages} A4 pages, every claim's verdict and figure and every section in the rendered text")
PY
# The README's picture, only from a report that passed.
cp "$check/top.png" docs/report-top.png
echo "check-report: renderings in $check (report.pdf, desktop.png, phone.png); docs/report-top.png updated"
