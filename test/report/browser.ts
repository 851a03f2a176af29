// Opening a report in real headless Chromium (Debian's `chromium`, through puppeteer-core) with
// the network switched off: console errors, requests that left the page, and the marks per chart.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export interface Opened {
  errors: string[];
  /** requests other than the page itself (there must be none) */
  requests: string[];
  charts: { id: string; expected: number; marks: number }[];
  tables: number;
}

export async function openReport(file: string, screenshot: string): Promise<Opened> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.setOfflineMode(true);
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (r.url() !== `file://${file}`) requests.push(r.url());
    });
    const resp = await page.goto(`file://${file}`, { waitUntil: 'load' });
    if (!resp?.ok()) errors.push(`load: ${resp?.status()}`);
    const charts = await page.$$eval('figure[data-chart]', (figs) =>
      figs.map((f) => ({
        id: f.getAttribute('data-chart') ?? '',
        expected: Number(f.getAttribute('data-marks')),
        marks: [...f.querySelectorAll('svg g.role-mark')].reduce((s, g) => s + g.children.length, 0),
      })),
    );
    const tables = await page.$$eval('table', (t) => t.length);
    await page.setViewport({ width: 1400, height: 1000 });
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
    return { errors, requests, charts, tables };
  } finally {
    await browser.close();
  }
}
