// Backend choice by measurement: with no ?backend the engine times each backend, picks the fastest, remembers it per
// device, and the header shows the timings. Headless Chromium's WebGPU adapter is SwiftShader (a software GPU).
import { expect, test, type Page } from '@playwright/test';
import { settled, snap } from './helpers';

async function timings(page: Page): Promise<{ backend: string; stepMs: number | null }[]> {
  return page.locator('[data-testid="backend-timings"] tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({ backend: r.getAttribute('data-backend-row') ?? '', stepMs: r.getAttribute('data-step-ms') ? Number(r.getAttribute('data-step-ms')) : null })),
  );
}

test('the fastest measured backend is chosen, shown, remembered, and measured again on request', async ({ page }) => {
  test.setTimeout(240_000);
  const loaded = Date.now();
  await page.goto('/notebooks/welcome');
  const badge = page.getByTestId('backend');
  await expect(badge).toHaveAttribute('data-backend', /^(webgpu|webgl|wasm)$/, { timeout: 90_000 });
  test.info().annotations.push({ type: 'engine ready, timing included', description: `${((Date.now() - loaded) / 1000).toFixed(1)} s` });
  const details = page.getByTestId('backend-details');
  await expect(details).toHaveAttribute('data-choice', 'measured');
  const chosen = await badge.getAttribute('data-backend');

  await details.locator('summary').click();
  const rows = await timings(page);
  await snap(page, 'backend-timings');
  expect(rows.map((r) => r.backend)).toEqual(['webgpu', 'webgl', 'wasm']);
  const timed = rows.filter((r) => r.stepMs !== null);
  expect(timed.length, `timings: ${JSON.stringify(rows)}`).toBeGreaterThan(0);
  const fastest = timed.reduce((a, b) => (b.stepMs! < a.stepMs! ? b : a));
  expect(chosen).toBe(fastest.backend);
  test.info().annotations.push({ type: 'backend timings (ms per Pattention step)', description: JSON.stringify(rows) });

  // The welcome notebook as a visitor runs it: Run all, then Start; the time to 20 steps is reported.
  await page.getByTestId('run-all').click();
  const start = page.getByTestId('train-start');
  await expect(start).toBeEnabled({ timeout: 90_000 });
  await settled(page);
  const t0 = Date.now();
  await start.click();
  await expect
    .poll(async () => Number(await page.getByTestId('train-step').textContent()), { timeout: 120_000, intervals: [100] })
    .toBeGreaterThanOrEqual(20);
  const seconds = (Date.now() - t0) / 1000;
  test.info().annotations.push({ type: 'welcome: Start to 20 steps', description: `${seconds.toFixed(1)} s on ${chosen}` });
  console.log(`welcome: Start to 20 steps in ${seconds.toFixed(1)} s on ${chosen}; timings ${JSON.stringify(rows)}`);
  await page.getByTestId('train-stop').click();

  // A reload starts the remembered backend without timing again.
  await page.reload();
  await expect(badge).toHaveAttribute('data-backend', chosen!, { timeout: 90_000 });
  await expect(details).toHaveAttribute('data-choice', 'remembered');

  // "Measure again" forgets it and times every backend anew.
  await details.locator('summary').click();
  await page.getByTestId('backend-remeasure').click();
  await expect(page.getByTestId('backend-details')).toHaveAttribute('data-choice', 'measured', { timeout: 90_000 });
  expect(await page.evaluate(() => localStorage.getItem('tokenformer-lab:backend-choice'))).toContain('"measuredAt"');
});

test('a forced backend is used as asked, without timing', async ({ page }) => {
  await page.goto('/notebooks/welcome?backend=wasm');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(page.getByTestId('backend-details')).toHaveAttribute('data-choice', 'forced');
  await expect(page.getByTestId('backend-timings')).toHaveCount(0);
});
