// Number formats used in panels and the header.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatCount } from './format';

describe('formats', () => {
  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200.0 MB');
  });
  it('formats counts', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234)).toBe('1.23k');
    expect(formatCount(3.2e6)).toBe('3.20M');
  });
  it('formats clock times', () => {
    expect(formatClock(65)).toBe('1:05');
    expect(formatClock(3725)).toBe('1:02:05');
    expect(formatClock(-1)).toBe('–');
  });
});
