// Number formatting for panels, the notebook header, share links and the CLI: one module on Intl.NumberFormat,
// with a fixed locale so labels, logs and tests read the same on every machine.

const formats = new Map<string, Intl.NumberFormat>();

/** A cached en-US formatter without grouping; negative zero prints as "0", as toFixed did. */
function nf(minDigits: number, maxDigits: number): Intl.NumberFormat {
  const key = `${minDigits}:${maxDigits}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits, useGrouping: false, signDisplay: 'negative' });
    formats.set(key, f);
  }
  return f;
}

/** Exactly `digits` decimals: fixed(1.5, 2) -> "1.50". */
export const fixed = (v: number, digits: number): string => nf(digits, digits).format(v);
/** At most `digits` decimals, trailing zeros dropped: upTo(1.50, 2) -> "1.5". */
export const upTo = (v: number, digits: number): string => nf(0, digits).format(v);

const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const;

/**
 * Compact count with an SI prefix. Default: 1234 -> "1.23k", 3.2e6 -> "3.20M", exact below 1000.
 * `{ digits: 1, trim: true }`: 1200 -> "1.2k", 5e9 -> "5G", 0.125 -> "0.13" (chart axes).
 */
export function formatCount(n: number, o: { digits?: number; trim?: boolean } = {}): string {
  if (!Number.isFinite(n)) return '–';
  const digits = o.digits ?? 2;
  const show = o.trim ? upTo : fixed;
  const a = Math.abs(n);
  for (const [d, s] of SI) if (a >= d) return `${show(n / d, digits)}${s}`;
  return o.trim ? upTo(n, 2) : upTo(n, 0);
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Binary sizes: 512 -> "512 B", 1536 -> "1.50 KB", 200 MiB -> "200.0 MB"; `digits` fixes the decimals. */
export function formatBytes(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return '–';
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? upTo(v, 0) : fixed(v, digits ?? (v < 10 ? 2 : 1))} ${BYTE_UNITS[i]}`;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A duration in milliseconds: "2.5 ms", "340 ms", "4.2 s", "3 min 5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10) return `${fixed(ms, 1)} ms`;
  if (ms < 1000) return `${fixed(ms, 0)} ms`;
  if (ms < 60_000) return `${fixed(ms / 1000, 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${fixed((ms - m * 60_000) / 1000, 0)} s`;
}

/** A weight in a tooltip: four decimals, or scientific ("1.235e-4") when that would hide it. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(3) : fixed(v, 4);
}
