// @vitest-environment jsdom
// The panels' shared pieces: growth tracking between renders, input-event filtering, polling without overlap.
import { describe, expect, it } from 'vitest';
import { growthTracker, intFrom, ownInputOnly, poll } from './panelKit';

describe('growthTracker', () => {
  it('marks what the latest growth added, keeps it across renders, and starts over for a smaller model', () => {
    const t = growthTracker();
    expect(t.newFrom('p', 24, 24)).toBeUndefined();
    expect(t.newFrom('p', 32, 24)).toBe(24);
    expect(t.newFrom('p', 32, 24)).toBe(24);
    expect(t.newFrom('p', 40, 24)).toBe(32);
    expect(t.newFrom('p', 24, 24)).toBeUndefined();
    // First look at a model grown earlier: tokens beyond the configured count are new.
    expect(t.newFrom('q', 48, 32)).toBe(32);
    expect(t.newFrom('r', 48)).toBeUndefined();
  });
});

describe('ownInputOnly', () => {
  it("lets the panel's own input events through and stops its children's", () => {
    const root = document.createElement('div');
    ownInputOnly(root);
    const seen: string[] = [];
    root.addEventListener('input', (e) => seen.push((e.target as HTMLElement).tagName));
    const select = document.createElement('select');
    root.append(select);
    select.dispatchEvent(new Event('input', { bubbles: true }));
    root.dispatchEvent(new Event('input', { bubbles: true }));
    expect(seen).toEqual(['DIV']);
  });
});

describe('poll and intFrom', () => {
  it('never runs two calls at once and stops when told', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const stop = poll(2, async () => {
      calls++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 15));
      running--;
    });
    await new Promise((r) => setTimeout(r, 120));
    stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(most).toBe(1);
    expect(after).toBeGreaterThan(1);
    expect(calls).toBe(after);
  });

  it('reads positive integers from inputs, with a fallback', () => {
    const input = document.createElement('input');
    input.value = '7.4';
    expect(intFrom(input, 3)).toBe(7);
    input.value = '';
    expect(intFrom(input, 3)).toBe(3);
    input.value = '0';
    expect(intFrom(input, 3, 0)).toBe(0);
  });
});
