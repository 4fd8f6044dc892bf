// Presentation mode: one slide per # / ## heading, code hidden and outputs live, keys and buttons navigate, Esc leaves.
import { expect, test } from '@playwright/test';
import { cell, cells, importNotebook, snap } from './helpers';

const DECK = `---
title: Deck
---

Opening words, before any heading.

# Title slide

Welcome text.

\`\`\`js
const answer = 6 * 7
\`\`\`

## Second slide

\`\`\`js
answer + 1
\`\`\`

Some math: $x^2$.

## Live

\`\`\`js
for (let i = 0; ; i++) { yield i; await new Promise((r) => setTimeout(r, 150)) }
\`\`\`
`;

test('slides follow the headings, code is hidden, outputs stay live, keys navigate and Esc leaves', async ({ page }) => {
  await importNotebook(page, 'deck.md', DECK);
  await page.getByTestId('trust-accept-banner').click();
  await page.getByTestId('run-all').click();
  await expect(cell(page, 1).getByTestId('cell-output')).toHaveText('42');

  await page.getByTestId('present').click();
  const deck = page.getByTestId('presentation');
  const slide = page.getByTestId('slide');
  const counter = page.getByTestId('slide-counter');
  await expect(deck).toBeVisible();
  expect(new URL(page.url()).searchParams.get('present')).toBe('1');
  await expect(counter).toHaveText('1 / 4');
  await expect(slide).toHaveAttribute('data-index', '0');
  await expect(slide).toContainText('Opening words');
  await expect(page.getByTestId('slide-prev')).toBeDisabled();
  // Cells are not on the page while presenting: no code, no editors.
  await expect(cells(page)).toHaveCount(0);
  await expect(page.locator('.cm-editor')).toHaveCount(0);

  await page.getByTestId('slide-next').click();
  await expect(counter).toHaveText('2 / 4');
  await expect(slide.locator('h1')).toHaveText('Title slide');
  await expect(slide.getByTestId('cell-output')).toHaveText('42');
  await expect(slide).not.toContainText('6 * 7');

  await page.keyboard.press('ArrowRight');
  await expect(counter).toHaveText('3 / 4');
  await expect(slide.locator('h2')).toHaveText('Second slide');
  await expect(slide.getByTestId('cell-output')).toHaveText('43');
  await expect(slide.locator('.katex')).toBeVisible();
  await snap(page, 'presentation-slide');

  await page.keyboard.press('End');
  await expect(counter).toHaveText('4 / 4');
  await expect(slide).toHaveAttribute('data-index', '3');
  await expect(page.getByTestId('slide-next')).toBeDisabled();
  // The generator cell keeps running on its slide: its output changes while we watch.
  const live = slide.getByTestId('cell-output');
  const first = Number(await live.textContent());
  await expect.poll(async () => Number(await live.textContent())).toBeGreaterThan(first + 1);

  await page.keyboard.press('Home');
  await expect(counter).toHaveText('1 / 4');
  await page.keyboard.press(' ');
  await expect(counter).toHaveText('2 / 4');
  await page.keyboard.press('PageDown');
  await expect(counter).toHaveText('3 / 4');
  await page.keyboard.press('PageUp');
  await expect(counter).toHaveText('2 / 4');
  await page.keyboard.press('ArrowLeft');
  await expect(counter).toHaveText('1 / 4');
  await page.keyboard.press('End');
  await page.getByTestId('slide-prev').click();
  await expect(counter).toHaveText('3 / 4');

  await page.keyboard.press('Escape');
  await expect(deck).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('present')).toBeNull();
  await expect(cells(page)).toHaveCount(6);
  // Outputs went back to their cells, and the live one still runs there.
  await expect(cell(page, 1).getByTestId('cell-output')).toHaveText('42');
  const back = cell(page, 5).getByTestId('cell-output');
  const then = Number(await back.textContent());
  await expect.poll(async () => Number(await back.textContent())).toBeGreaterThan(then);
});

test('?present=1 opens a notebook as slides, and the exit button leaves', async ({ page }) => {
  await page.goto('/notebooks/welcome?present=1');
  await expect(page.getByTestId('presentation')).toBeVisible();
  await expect(page.getByTestId('slide-counter')).toHaveText(/^1 \/ ([2-9]|\d\d+)$/);
  await expect(page.getByTestId('slide').locator('h1').first()).toBeVisible();
  await expect(cells(page)).toHaveCount(0);
  await snap(page, 'presentation-welcome');
  await page.getByTestId('present-exit').click();
  await expect(page.getByTestId('presentation')).toHaveCount(0);
  await expect(cells(page).first()).toBeVisible();
});
