// What the CLI writes: aligned text tables or JSON on stdout, and a progress bar on stderr only when
// stderr is a terminal (so pipes and logs never get carriage returns).

/** Left-aligned columns, a header row, two spaces apart; numbers are right-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  return cells
    .map((row, index) =>
      row
        .map((cell, column) => {
          const width = widths[column] ?? 0;
          const numeric = index > 0 && typeof rows[index - 1]?.[column] === "number";
          return numeric ? cell.padStart(width) : cell.padEnd(width);
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function writeJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A one-line bar redrawn in place at most every `intervalMs`; does nothing unless `stream` is a TTY. */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #total: number;
  readonly #enabled: boolean;
  readonly #intervalMs: number;
  #last = 0;

  constructor(stream: NodeJS.WriteStream, total: number, intervalMs = 100) {
    this.#stream = stream;
    this.#total = total;
    this.#enabled = stream.isTTY === true;
    this.#intervalMs = intervalMs;
  }

  update(done: number, force = false): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (!force && now - this.#last < this.#intervalMs) return;
    this.#last = now;
    const fraction = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
    this.#stream.write(`\r[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${done}/${this.#total} users`);
  }

  /** Erases the bar's line. */
  done(): void {
    if (this.#enabled) this.#stream.write("\r\x1b[K");
  }
}
