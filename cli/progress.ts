/**
 * A one-line progress bar on stderr: percent, items, bytes/s and time left; silent unless stderr is a
 * TTY and not quiet.
 */
export class ProgressBar {
  private readonly enabled: boolean;
  private readonly sizes: number[];
  private readonly totalBytes: number;
  private readonly started = Date.now();
  private lastDraw = 0;
  private label = '';
  private drawn = false;

  /** `items`: how many, or each item's size in bytes (then the bar shows a rate and the time left). */
  constructor(items: number | number[], quiet: boolean) {
    this.enabled = !quiet && process.stderr.isTTY === true;
    this.sizes = typeof items === 'number' ? new Array<number>(items).fill(0) : items;
    this.totalBytes = this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Item `index` (0-based) is `fraction` done. */
  update(index: number, fraction: number, label = this.label): void {
    if (!this.enabled) return;
    this.label = label;
    const now = Date.now();
    if (now - this.lastDraw < 100 && fraction < 1) return;
    this.lastDraw = now;
    const count = Math.max(1, this.sizes.length);
    const doneBytes = this.sizes.slice(0, index).reduce((a, b) => a + b, 0) + fraction * (this.sizes[index] ?? 0);
    const done = Math.min(1, this.totalBytes > 0 ? doneBytes / this.totalBytes : (index + fraction) / count);
    const width = 24;
    const filled = Math.round(done * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const seconds = (now - this.started) / 1000;
    let speed = '';
    if (this.totalBytes > 0 && seconds > 0.5 && doneBytes > 0) {
      const rate = doneBytes / seconds;
      speed = ` ${formatBytes(rate)}/s, ${formatTime((this.totalBytes - doneBytes) / rate)} left`;
    }
    const name = label.length > 32 ? '...' + label.slice(-29) : label;
    process.stderr.write(`\r[${bar}] ${(100 * done).toFixed(1).padStart(5)}% ${index + 1}/${count}${speed} ${name}\x1b[K`);
    this.drawn = true;
  }

  /** Clear the bar (before printing a message, and at the end). */
  clear(): void {
    if (this.enabled && this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n.toFixed(0)} B`;
}

function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
