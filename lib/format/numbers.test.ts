// Number formats used by the panels, the header, share links and the CLI.
import { describe, expect, it } from 'vitest';
import { fixed, formatBytes, formatClock, formatCount, formatDuration, formatValue, upTo } from './numbers';

describe('formats', () => {
  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200.0 MB');
    expect(formatBytes(3 * 1024 * 1024, 0)).toBe('3 MB');
  });
  it('formats counts', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234)).toBe('1.23k');
    expect(formatCount(3.2e6)).toBe('3.20M');
    expect(formatCount(1200, { digits: 1, trim: true })).toBe('1.2k');
    expect(formatCount(5e9, { digits: 1, trim: true })).toBe('5G');
    // The chart axes' compact form (lossChart's formatSI).
    expect([950, 12_288, 3.2e9, 0.125].map((n) => formatCount(n, { digits: 1, trim: true }))).toEqual(['950', '12.3k', '3.2G', '0.13']);
  });
  it('formats clock times', () => {
    expect(formatClock(65)).toBe('1:05');
    expect(formatClock(3725)).toBe('1:02:05');
    expect(formatClock(-1)).toBe('–');
  });
  it('formats durations and weights', () => {
    expect(formatDuration(2.54)).toBe('2.5 ms');
    expect(formatDuration(340.4)).toBe('340 ms');
    expect(formatDuration(4249)).toBe('4.2 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatValue(0.5)).toBe('0.5000');
    expect(formatValue(1.23456e-4)).toBe('1.235e-4');
    expect(formatValue(Number.NaN)).toBe('NaN');
  });
  it('rounds like toFixed, without grouping or a negative zero', () => {
    for (const v of [0.125, 2.5, 123456.789, -3.14159, 7]) expect(fixed(v, 2)).toBe(v.toFixed(2));
    // Where they differ, Intl reads the shortest decimal (1.005 rounds up; toFixed sees 1.00499...) and drops "-0".
    expect([fixed(1.005, 2), fixed(-0.0001, 2), fixed(-0, 0)]).toEqual(['1.01', '0.00', '0']);
    expect(upTo(1.5, 2)).toBe('1.5');
    expect(fixed(12345678, 0)).toBe('12345678');
  });
});
