// Accessibility audit of report.html as browsers' own developer tools run it: axe-core inside
// headless Chromium, with the WCAG 2.1 A and AA rules and axe's best practices, at a desktop and a
// phone width, under the light and the dark colour scheme. Every violation is printed with the
// elements it concerns; any violation fails (exit 1).
//
// It also measures the charts as a reader sees them: at the phone width every text of every
// chart drawn as SVG must be rendered at least MIN_CHART_PX CSS pixels tall (font size times
// the SVG's scale on screen); the desktop's smallest is reported (the wide drawing is the PNG's
// layout, whose type is what slides need). Paper is measured in the PDF (check-report.sh).
//
// Usage: node audit.cjs REPORT_HTML CHROMIUM [OUT_DIR]
// Run by scripts/check-report.sh, which installs the pinned packages (package-lock.json).
"use strict";
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const [report, chromium, outDir] = process.argv.slice(2);
if (!report || !chromium) {
  console.error("usage: node audit.cjs REPORT_HTML CHROMIUM [OUT_DIR]");
  process.exit(2);
}
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
const VIEWS = [
  { name: "desktop", width: 1280, measure: false },
  { name: "phone", width: 390, measure: true },
];
const SCHEMES = ["light", "dark"];
const MIN_CHART_PX = 9;

// In the page: every visible chart text's rendered font size, and the smallest per chart.
function chartText(min) {
  const out = { figures: document.querySelectorAll("figure").length, charts: 0, texts: 0, small: [], smallest: Infinity };
  for (const svg of document.querySelectorAll("figure svg")) {
    if (svg.getClientRects().length === 0) continue; // the other layout, not displayed
    out.charts += 1;
    const figure = svg.closest("figure").id;
    for (const t of svg.querySelectorAll("text")) {
      if (!t.textContent.trim() || t.getClientRects().length === 0) continue;
      // The scale on screen, turned text included (a rotation moves the scale into b).
      const m = t.getScreenCTM();
      const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
      out.texts += 1;
      out.smallest = Math.min(out.smallest, size);
      if (size < min) out.small.push(`${figure}: "${t.textContent.trim().slice(0, 40)}" at ${size.toFixed(1)} px`);
    }
  }
  return out;
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // As check-report.sh's own runs: no sandbox in containers, no network (anything not inside
    // the file would be missing), no reliance on a large /dev/shm.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--host-resolver-rules=MAP * ~NOTFOUND",
    ],
  });
  const summary = [];
  let failed = 0;
  try {
    for (const view of VIEWS) {
      for (const scheme of SCHEMES) {
        const page = await browser.newPage();
        await page.setViewport({ width: view.width, height: 900 });
        await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
        await page.goto("file://" + path.resolve(report), { waitUntil: "load" });
        await page.evaluate(axeSource);
        const result = await page.evaluate(
          (tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }),
          TAGS
        );
        const label = `${view.name} (${view.width} px), ${scheme}`;
        const text = await page.evaluate(chartText, MIN_CHART_PX);
        summary.push({
          view: label,
          violations: result.violations.length,
          passes: result.passes.length,
          svg_charts: text.charts,
          chart_texts: text.texts,
          smallest_chart_text_px: text.texts ? Number(text.smallest.toFixed(2)) : null,
        });
        if (text.figures > 0 && text.charts === 0) {
          failed += 1;
          console.error(`report-audit: ${label}: ${text.figures} figures but no chart drawn as SVG`);
        }
        for (const small of view.measure ? text.small : []) {
          failed += 1;
          console.error(`report-audit: ${label}: chart text under ${MIN_CHART_PX} px: ${small}`);
        }
        for (const v of result.violations) {
          failed += 1;
          console.error(`report-audit: ${label}: ${v.id} (${v.impact}): ${v.help}`);
          for (const n of v.nodes) {
            console.error(`    at ${n.target.join(" ")}: ${n.html.slice(0, 160)}`);
          }
        }
        if (outDir && scheme === "dark") {
          await page.screenshot({ path: path.join(outDir, `${view.name}-dark.png`) });
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
  if (outDir) {
    fs.writeFileSync(path.join(outDir, "audit.json"), JSON.stringify(summary, null, 2) + "\n");
  }
  for (const s of summary) {
    console.log(
      `  axe ${s.view}: ${s.violations} violations, ${s.passes} rules passed; ` +
        `${s.svg_charts} SVG charts, smallest of ${s.chart_texts} chart texts ${s.smallest_chart_text_px} px`
    );
  }
  if (failed > 0) {
    console.error(`report-audit: FAILED: ${failed} problem(s)`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`report-audit: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
