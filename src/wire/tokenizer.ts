import { WireError } from './errors.js';

/** One presentation-format token. Escapes are kept as written; quotes are removed. */
export interface Token {
  text: string;
  quoted: boolean;
}

/** One logical entry (a record or directive), possibly spanning lines inside parentheses. */
export interface Entry {
  tokens: Token[];
  /** 1-based line where the entry starts. */
  line: number;
  /** The entry started with white space: the owner is the previous one (RFC 1035 5.1). */
  blankOwner: boolean;
}

export class TextError extends WireError {
  readonly line: number;
  constructor(reason: string, line: number) {
    super('bad-text', `line ${line}: ${reason}`);
    this.line = line;
  }
}

/**
 * Splits master-file text into entries: handles comments, parentheses across lines,
 * quoted strings (with escapes), and reports unbalanced parentheses or quotes with the
 * line number. Shared by the zone-file parser and the single-record text parser.
 */
export function tokenize(text: string): Entry[] {
  const entries: Entry[] = [];
  let line = 1;
  let depth = 0;
  let cur: Entry | undefined;
  let atLineStart = true;
  const n = text.length;
  let i = 0;
  const flush = () => {
    if (cur && cur.tokens.length > 0) entries.push(cur);
    cur = undefined;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a /* \n */) {
      line++;
      i++;
      if (depth === 0) {
        flush();
        atLineStart = true;
      }
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      if (atLineStart && depth === 0 && cur === undefined) cur = { tokens: [], line, blankOwner: true };
      atLineStart = false;
      i++;
      continue;
    }
    atLineStart = false;
    if (c === 0x3b /* ; */) {
      while (i < n && text.charCodeAt(i) !== 0x0a) i++;
      continue;
    }
    if (cur === undefined) cur = { tokens: [], line, blankOwner: false };
    if (c === 0x28 /* ( */) {
      depth++;
      i++;
      continue;
    }
    if (c === 0x29 /* ) */) {
      if (depth === 0) throw new TextError('")" without "("', line);
      depth--;
      i++;
      continue;
    }
    if (c === 0x22 /* " */) {
      const startLine = line;
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new TextError('unterminated quoted string', startLine);
        const d = text.charCodeAt(i);
        if (d === 0x22) {
          i++;
          break;
        }
        if (d === 0x5c && i + 1 < n) {
          s += text[i] + text[i + 1];
          if (text.charCodeAt(i + 1) === 0x0a) line++;
          i += 2;
          continue;
        }
        if (d === 0x0a) line++;
        s += text[i];
        i++;
      }
      cur.tokens.push({ text: s, quoted: true });
      continue;
    }
    let s = '';
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d || d === 0x3b || d === 0x28 || d === 0x29 || d === 0x22)
        break;
      if (d === 0x5c && i + 1 < n) {
        s += text[i] + text[i + 1];
        i += 2;
        continue;
      }
      s += text[i];
      i++;
    }
    cur.tokens.push({ text: s, quoted: false });
  }
  if (depth !== 0) throw new TextError('unbalanced "(" at end of input', line);
  flush();
  return entries;
}

/** Decodes `\X` and `\DDD` escapes of a token into raw octets (a latin1 string). */
export function unescapeText(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const d = s.slice(i + 1, i + 4);
    if (/^[0-9]{3}$/.test(d)) {
      const v = Number(d);
      if (v > 255) throw new WireError('bad-text', `bad escape \\${d}`);
      out += String.fromCharCode(v);
      i += 3;
    } else if (i + 1 < s.length) {
      out += s[i + 1];
      i++;
    } else {
      throw new WireError('bad-text', 'dangling backslash');
    }
  }
  return out;
}

/** Cursor over the rdata tokens of one record. */
export class TokenCursor {
  readonly tokens: Token[];
  i: number;
  constructor(tokens: Token[], start = 0) {
    this.tokens = tokens;
    this.i = start;
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(what: string): Token {
    const t = this.tokens[this.i];
    if (t === undefined) throw new WireError('bad-text', `missing ${what}`);
    this.i++;
    return t;
  }
  /** All remaining tokens. */
  rest(): Token[] {
    const r = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return r;
  }
}
