// bench/lib/progress.ts — a one-line progress bar on stderr (a plain line per item when stderr
// is not a terminal, as in CI logs).
export class Progress {
  #done = 0;
  readonly #started = performance.now();
  constructor(readonly total: number) {}

  tick(label: string): void {
    this.#done += 1;
    const width = 28;
    const filled = Math.round((this.#done / this.total) * width);
    const secs = ((performance.now() - this.#started) / 1000).toFixed(0);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.#done}/${this.total} ${secs}s ${label}`;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`);
    else process.stderr.write(`${line}\n`);
    if (this.#done === this.total && process.stderr.isTTY) process.stderr.write("\n");
  }
}
