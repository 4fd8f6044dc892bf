// The notebook list: bundled notebooks shown, and the user's own created, duplicated and deleted.
import { expect, test } from '@playwright/test';
import { cells, snap } from './helpers';

test('lists bundled notebooks with title and description', async ({ page }) => {
  await page.goto('/');
  const welcome = page.getByTestId('notebook-link').filter({ hasText: 'Welcome to TokenFormer Lab' });
  await expect(welcome).toBeVisible();
  await expect(page.getByTestId('notebook-item').filter({ has: welcome })).toContainText('How notebooks work');
  await snap(page, 'index');
  await welcome.click();
  await page.waitForURL(/\/notebooks\/welcome/);
  await expect(cells(page).first()).toBeVisible();
});

test('creates, duplicates and deletes a user notebook', async ({ page }) => {
  page.on('dialog', (d) => void d.accept());
  await page.goto('/');
  await page.getByTestId('new-notebook').click();
  await page.waitForURL(/\/notebooks\/u-/);
  await expect(page.getByTestId('notebook-title')).toHaveText('Untitled notebook');
  await expect(cells(page)).toHaveCount(2);

  await page.goto('/');
  const mine = page.getByTestId('notebook-item').filter({ hasText: 'Untitled notebook' });
  await expect(mine).toHaveCount(1);
  await mine.getByTestId('duplicate-notebook').click();
  await page.waitForURL(/\/notebooks\/u-/);
  await expect(page.getByTestId('notebook-title')).toHaveText('Copy of Untitled notebook');

  await page.goto('/');
  for (const title of ['Copy of Untitled notebook', 'Untitled notebook']) {
    const item = page.getByTestId('notebook-item').filter({ has: page.getByTestId('notebook-link').getByText(title, { exact: true }) });
    await item.getByTestId('delete-notebook').click();
    await expect(item).toHaveCount(0);
  }
});
