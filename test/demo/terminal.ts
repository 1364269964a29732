/**
 * A small terminal emulator for the demo's live view: `columns` wide, `rows` high, with a
 * scrollback above. It wraps a line that runs past the last column onto the next row (as xterm
 * does: the wrap happens when the next character comes), and understands what the demo writes:
 * `ESC[nA` (cursor up, never above the screen's top row), `ESC[2K` (erase the line), `\r`, `\n`
 * (a new line, as a TTY's `onlcr` makes it), and SGR colours (ignored).
 */
/** A control sequence: ESC, `[`, parameters, a final letter. */
const CSI = new RegExp(`^${String.fromCharCode(27)}\\[([\\d;?]*)([A-Za-z])`);

export class VirtualTerminal {
  readonly columns: number;
  readonly rows: number;
  /** Every row ever shown, the scrollback first; the screen is the last `rows` of them. */
  readonly #lines: string[][] = [[]];
  #row = 0;
  #col = 0;
  #pendingWrap = false;
  /** Lines that ran past the last column and went on on the next row. */
  wraps = 0;

  constructor(columns: number, rows = 24) {
    this.columns = columns;
    this.rows = rows;
  }

  write(text: string): void {
    for (let i = 0; i < text.length; i += 1) {
      const char = text[i]!;
      if (char === '\x1b' && text[i + 1] === '[') {
        const match = CSI.exec(text.slice(i));
        if (!match) throw new Error(`unexpected escape ${JSON.stringify(text.slice(i, i + 8))}`);
        this.#csi(match[1]!, match[2]!);
        i += match[0].length - 1;
      } else if (char === '\n') {
        this.#newLine();
      } else if (char === '\r') {
        this.#col = 0;
        this.#pendingWrap = false;
      } else {
        this.#print(char);
      }
    }
  }

  /** Every row, scrollback included, without trailing spaces. */
  text(): string[] {
    return this.#lines.map((cells) => cells.join('').trimEnd());
  }

  #csi(params: string, command: string): void {
    const n = Number(params || '1');
    if (command === 'A') {
      const top = Math.max(0, this.#lines.length - this.rows);
      this.#row = Math.max(top, this.#row - n);
      this.#pendingWrap = false;
    } else if (command === 'K' && params === '2') {
      this.#lines[this.#row] = [];
    } else if (command !== 'm') {
      throw new Error(`the demo is not expected to write ESC[${params}${command}`);
    }
  }

  #print(char: string): void {
    if (this.#pendingWrap) {
      this.wraps += 1;
      this.#newLine();
    }
    const line = this.#lines[this.#row]!;
    while (line.length < this.#col) line.push(' ');
    line[this.#col] = char;
    if (this.#col === this.columns - 1) this.#pendingWrap = true;
    else this.#col += 1;
  }

  #newLine(): void {
    this.#row += 1;
    this.#col = 0;
    this.#pendingWrap = false;
    if (this.#row === this.#lines.length) this.#lines.push([]);
  }
}
