// Drives Debian's chromium with playwright-core (no downloaded browser) through the dashboard of a
// running `venice-mcp serve --transport http`: a wrong token first, then the right one, then
// reads what a person sees (text, the chart's bars) and saves screenshots.
//
//   node dashboard.mjs <base url> <token> <output dir>
// Prints one JSON object on stdout; test_dashboard_browser.py asserts on it.
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, token, out] = process.argv.slice(2);
const WAIT = 30_000;
const profile = mkdtempSync(join(tmpdir(), "dashboard-profile-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1200, height: 900 },
});
const result = {};
const page = await context.newPage();
try {
  page.setDefaultTimeout(WAIT);

  // A wrong token: the form again, and nothing of the numbers.
  const first = await page.goto(`${base}/dashboard`);
  result.anonymous_status = first.status();
  await page.fill("#token", token + "-wrong");
  await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
  result.wrong = {
    url: page.url(),
    text: await page.locator("body").innerText(),
    cookies: (await context.cookies()).map((c) => c.name),
    bars: await page.locator("svg.chart rect").count(),
  };

  // The right token: the page, with a session cookie.
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click("button[type=submit]")]);
  await page.locator("#chart-tool rect").first().waitFor({ state: "attached" });
  result.url = page.url();
  result.html = await page.content();
  result.text = await page.locator("body").innerText();
  result.cookies = (await context.cookies()).map((c) => ({
    name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path, value: c.value,
  }));
  result.bars = await page.$$eval("svg.chart rect", (rects) =>
    rects.map((r) => ({
      chart: r.closest("svg").id, day: r.dataset.day, series: r.dataset.series, usd: Number(r.dataset.usd),
    })),
  );
  result.js_can_read_cookie = await page.evaluate(() => document.cookie.includes("venice_mcp"));

  // Live: the fragment is swapped in without a reload (the "updated" stamp moves).
  const before = await page.getAttribute("#updated", "data-ts");
  await page.waitForFunction((ts) => document.querySelector("#updated").dataset.ts !== ts, before, {
    timeout: WAIT,
  });
  result.live_refreshed = true;
  result.navigations = await page.evaluate(() => performance.getEntriesByType("navigation").length);

  await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  result.phone_overflow = await page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth + 1,
  );
  await page.screenshot({ path: join(out, "dashboard-phone.png"), fullPage: true });
} catch (error) {
  // Say where the browser was: the test prints this.
  process.stderr.write(`at ${page.url()}:\n${await page.locator("body").innerText().catch(() => "")}\n`);
  throw error;
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(result));
