/** A one-line progress bar on stderr; silent unless stderr is a TTY and not quiet. */
export class ProgressBar {
  private readonly enabled: boolean;
  private lastDraw = 0;
  private label = '';
  private drawn = false;

  constructor(
    private readonly totalItems: number,
    quiet: boolean,
  ) {
    this.enabled = !quiet && process.stderr.isTTY === true;
  }

  /** Item `index` (0-based) is `fraction` done. */
  update(index: number, fraction: number, label = this.label): void {
    if (!this.enabled) return;
    this.label = label;
    const now = Date.now();
    if (now - this.lastDraw < 100 && fraction < 1) return;
    this.lastDraw = now;
    const done = Math.min(1, (index + fraction) / Math.max(1, this.totalItems));
    const width = 30;
    const filled = Math.round(done * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const name = label.length > 40 ? '...' + label.slice(-37) : label;
    process.stderr.write(`\r[${bar}] ${(100 * done).toFixed(0).padStart(3)}% ${index + 1}/${this.totalItems} ${name}\x1b[K`);
    this.drawn = true;
  }

  /** Clear the bar (before printing a message, and at the end). */
  clear(): void {
    if (this.enabled && this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
