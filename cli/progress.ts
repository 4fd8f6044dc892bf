// A terminal progress bar on stderr (redrawn in place on a TTY, a line every 10% otherwise) with rate and ETA.
import { fixed, formatClock } from '../lib/format/numbers';

export interface ProgressBar {
  update(done: number, extra?: string): void;
  finish(extra?: string): void;
}


export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const t0 = Date.now();
  const tty = !!stream.isTTY;
  let lastDecile = -1;
  let lastDraw = 0;
  const line = (done: number, extra = '') => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - t0) / 1000;
    const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : Infinity;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${fixed(frac * 100, 0).padStart(3)}% ${done}/${total} eta ${Number.isFinite(eta) ? formatClock(eta) : '?'}${extra ? ' ' + extra : ''}`;
  };
  return {
    update(done, extra) {
      if (tty) {
        if (Date.now() - lastDraw < 80) return;
        lastDraw = Date.now();
        stream.write(`\r${line(done, extra)}\x1b[K`);
      } else {
        const decile = Math.floor((total > 0 ? done / total : 0) * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(line(done, extra) + '\n');
        }
      }
    },
    finish(extra) {
      const l = line(total, extra ? `${extra} (${formatClock((Date.now() - t0) / 1000)})` : `(${formatClock((Date.now() - t0) / 1000)})`);
      stream.write(tty ? `\r${l}\x1b[K\n` : l + '\n');
    },
  };
}
