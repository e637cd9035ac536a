/** Line handling shared by the .rpl config and body parsers: comments, quotes, file:line errors. */

/** A parse error that names the file and line. */
export class RplError extends Error {
  override readonly name = 'RplError';
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string, options?: { cause?: unknown }) {
    super(`${file}:${line}: ${reason}`, options);
    this.file = file;
    this.line = line;
  }
}

/** One source line with its comment removed and white space trimmed. */
export interface Line {
  /** 1-based line number. */
  no: number;
  text: string;
}

/**
 * Removes a `;` comment (and a `#` comment when `hash` is set) that starts outside
 * double quotes; a backslash inside quotes escapes the next character.
 */
export function stripComment(s: string, hash: boolean): string {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ';' || (hash && c === '#')) {
      return s.slice(0, i);
    }
  }
  return s;
}

/** Net count of `(` minus `)` outside quotes (comments must already be removed). */
export function parenDepth(s: string): number {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return depth;
}

/** Removes one pair of surrounding double quotes. */
export function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

/** Hex text (white space allowed) to bytes. */
export function hexBytes(s: string): Uint8Array | undefined {
  const h = s.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return undefined;
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** Cursor over the meaningful (non-blank after comment removal) lines of a range of the file. */
export class LineCursor {
  readonly file: string;
  readonly #raw: string[];
  #i: number;

  constructor(file: string, raw: string[], start: number) {
    this.file = file;
    this.#raw = raw;
    this.#i = start;
  }

  /** The next meaningful line without consuming it (`;` comments removed, trimmed). */
  peek(): Line | undefined {
    for (let i = this.#i; i < this.#raw.length; i++) {
      const text = stripComment(this.#raw[i], false).trim();
      if (text !== '') return { no: i + 1, text };
    }
    return undefined;
  }

  next(): Line | undefined {
    while (this.#i < this.#raw.length) {
      const i = this.#i++;
      const text = stripComment(this.#raw[i], false).trim();
      if (text !== '') return { no: i + 1, text };
    }
    return undefined;
  }

  /** The next meaningful line, or an error naming `what` was expected. */
  expect(what: string): Line {
    const l = this.next();
    if (l === undefined) throw new RplError(this.file, this.#raw.length, `unexpected end of file, expected ${what}`);
    return l;
  }

  error(line: number, reason: string, cause?: unknown): RplError {
    return new RplError(this.file, line, reason, cause === undefined ? undefined : { cause });
  }
}

/** The white-space separated words of a line. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}
