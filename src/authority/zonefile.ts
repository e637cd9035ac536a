/**
 * RFC 1035 section 5 master-file parser, on top of the wire layer's tokenizer and
 * single-record parser.
 *
 * Directives: `$ORIGIN name` (relative to the current origin), `$TTL ttl` (RFC 2308),
 * `$INCLUDE file [origin]` (off unless `allowInclude` is given: the path must stay inside
 * its base directory, and nesting is bounded). Once an included file has been read, the
 * origin and the current owner go back to what they were before it, as BIND does; `$TTL`
 * and the last TTL and class carry over.
 *
 * TTL rules (BIND's behaviour, which RFC 2308 section 4 codified):
 * 1. an explicit TTL is used, and remembered as "the previous TTL";
 * 2. else `$TTL` if one has been seen;
 * 3. else the previous record's TTL (RFC 1035 semantics; one warning per file set);
 * 4. else, for an SOA record, its MINIMUM field, which also becomes the default for the
 *    records that follow (warning "no TTL specified; using SOA MINIMUM instead");
 * 5. else the zone is rejected (`no-ttl`).
 *
 * Class: a record without a class takes the last class given (RFC 1035 5.1), IN at first;
 * every record must be of the zone's class (that of the first record).
 *
 * Types: every mnemonic the codec knows plus RFC 3597 `TYPEnnn` / `CLASSnnn` and the
 * `\# len hex` generic RDATA form.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  classToText,
  Name,
  parseRRTokens,
  parseTtl,
  type RR,
  RRClass,
  RRType,
  type SoaData,
  TextError,
  type Token,
  tokenize,
  WireError,
} from '../wire/index.js';

export type ZoneFileErrorCode =
  | 'syntax' // unbalanced parentheses or quotes, empty entry
  | 'unknown-type'
  | 'bad-record' // owner, TTL, class or RDATA that does not parse
  | 'no-owner' // blank owner with no previous owner
  | 'no-ttl'
  | 'bad-directive' // unknown directive or bad arguments
  | 'class-mismatch'
  | 'include-disabled'
  | 'include-outside-base'
  | 'include-depth'
  | 'include-read';

/** A master-file error, located as `file:line: reason`. */
export class ZoneFileError extends Error {
  override readonly name = 'ZoneFileError';
  readonly code: ZoneFileErrorCode;
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(code: ZoneFileErrorCode, file: string, line: number, reason: string, options?: { cause?: unknown }) {
    super(`${file}:${line}: ${reason}`, options);
    this.code = code;
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** Where a record (or a warning) comes from. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface ZoneFileWarning extends SourceLocation {
  message: string;
}

export interface IncludeOptions {
  /** Directory that `$INCLUDE` paths are resolved against and must stay inside (symlinks resolved). */
  baseDir: string;
  /** Maximum nesting of included files (default 8). */
  maxDepth?: number;
}

export interface ZoneFileOptions {
  /** The initial origin (the zone's name). */
  origin: Name | string;
  /** File name used in messages (default `<zone>`). */
  file?: string;
  /** `$INCLUDE` is refused unless this is given. */
  allowInclude?: IncludeOptions;
}

export interface ParsedZoneFile {
  /** The initial origin given in the options. */
  origin: Name;
  class: number;
  /** Records in file order. */
  records: RR[];
  /** `locations[i]` is where `records[i]` was read. */
  locations: SourceLocation[];
  warnings: ZoneFileWarning[];
}

const DEFAULT_MAX_INCLUDE_DEPTH = 8;
/** TTLs are 0..2^32-1, so -1 tells "the record had none" apart from any real value. */
const NO_TTL = -1;

interface State {
  origin: Name;
  previousOwner: Name | undefined;
  /** $TTL (or the SOA MINIMUM fallback). */
  defaultTtl: number | undefined;
  /** The last TTL a record carried or was given. */
  lastTtl: number | undefined;
  lastClass: number;
  zoneClass: number | undefined;
  warned1035: boolean;
  records: RR[];
  locations: SourceLocation[];
  warnings: ZoneFileWarning[];
  include: { baseDir: string; realBase: string; maxDepth: number } | undefined;
}

function toName(n: Name | string): Name {
  if (typeof n !== 'string') return n;
  return Name.fromText(n.endsWith('.') ? n : `${n}.`);
}

/** Parses master-file text. Throws ZoneFileError on the first error. */
export function parseZoneFile(text: string, opts: ZoneFileOptions): ParsedZoneFile {
  const origin = toName(opts.origin);
  const file = opts.file ?? '<zone>';
  let include: State['include'];
  if (opts.allowInclude) {
    const baseDir = resolve(opts.allowInclude.baseDir);
    include = {
      baseDir,
      realBase: realpathSync(baseDir),
      maxDepth: opts.allowInclude.maxDepth ?? DEFAULT_MAX_INCLUDE_DEPTH,
    };
  }
  const st: State = {
    origin,
    previousOwner: undefined,
    defaultTtl: undefined,
    lastTtl: undefined,
    lastClass: RRClass.IN,
    zoneClass: undefined,
    warned1035: false,
    records: [],
    locations: [],
    warnings: [],
    include,
  };
  parseText(st, text, file, 0);
  return {
    origin,
    class: st.zoneClass ?? RRClass.IN,
    records: st.records,
    locations: st.locations,
    warnings: st.warnings,
  };
}

/** Reads and parses a zone file; `file` in messages defaults to `path` as given. */
export async function loadZoneFile(
  path: string,
  opts: Omit<ZoneFileOptions, 'file'> & { file?: string },
): Promise<ParsedZoneFile> {
  const text = await readFile(path, 'latin1');
  return parseZoneFile(text, { ...opts, file: opts.file ?? path });
}

function parseText(st: State, text: string, file: string, depth: number): void {
  let entries: ReturnType<typeof tokenize>;
  try {
    entries = tokenize(text);
  } catch (e) {
    if (e instanceof TextError) {
      throw new ZoneFileError('syntax', file, e.line, e.message.replace(/^line \d+: /, ''), { cause: e });
    }
    throw e;
  }
  for (const entry of entries) {
    const first = entry.tokens[0];
    if (!first.quoted && first.text.startsWith('$')) {
      directive(st, entry.tokens, file, entry.line, depth);
      continue;
    }
    record(st, entry.tokens, entry.blankOwner, file, entry.line);
  }
}

function directive(st: State, tokens: Token[], file: string, line: number, depth: number): void {
  const name = tokens[0].text.toUpperCase();
  const args = tokens.slice(1);
  const bad = (reason: string): never => {
    throw new ZoneFileError('bad-directive', file, line, reason);
  };
  switch (name) {
    case '$ORIGIN': {
      if (args.length !== 1) bad('$ORIGIN takes one name');
      st.origin = nameArg(args[0].text, st.origin, file, line, '$ORIGIN');
      return;
    }
    case '$TTL': {
      if (args.length !== 1) bad('$TTL takes one value');
      const ttl = parseTtl(args[0].text);
      if (ttl === undefined) bad(`bad $TTL value "${args[0].text}"`);
      st.defaultTtl = ttl;
      return;
    }
    case '$INCLUDE': {
      if (args.length < 1 || args.length > 2) bad('$INCLUDE takes a file name and an optional origin');
      const inc = st.include;
      if (inc === undefined) {
        throw new ZoneFileError('include-disabled', file, line, '$INCLUDE is disabled (no allowInclude option)');
      }
      if (depth + 1 > inc.maxDepth) {
        throw new ZoneFileError('include-depth', file, line, `$INCLUDE nested deeper than ${inc.maxDepth} files`);
      }
      const target = resolve(inc.baseDir, args[0].text);
      let real: string;
      try {
        real = realpathSync(target);
      } catch (e) {
        throw new ZoneFileError('include-read', file, line, `cannot read "${args[0].text}": ${errText(e)}`, {
          cause: e,
        });
      }
      const rel = relative(inc.realBase, real);
      if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        throw new ZoneFileError('include-outside-base', file, line, `"${args[0].text}" is outside ${inc.baseDir}`);
      }
      let text: string;
      try {
        text = readFileSync(real, 'latin1');
      } catch (e) {
        throw new ZoneFileError('include-read', file, line, `cannot read "${args[0].text}": ${errText(e)}`, {
          cause: e,
        });
      }
      const savedOrigin = st.origin;
      const savedOwner = st.previousOwner;
      if (args.length === 2) st.origin = nameArg(args[1].text, st.origin, file, line, '$INCLUDE origin');
      parseText(st, text, rel, depth + 1);
      st.origin = savedOrigin;
      st.previousOwner = savedOwner;
      return;
    }
    default:
      bad(`unsupported directive ${tokens[0].text}`);
  }
}

function nameArg(text: string, origin: Name, file: string, line: number, what: string): Name {
  try {
    return Name.fromText(text, origin);
  } catch (e) {
    throw new ZoneFileError('bad-directive', file, line, `${what}: ${errText(e)}`, { cause: e });
  }
}

function record(st: State, tokens: Token[], blankOwner: boolean, file: string, line: number): void {
  if (blankOwner && st.previousOwner === undefined) {
    throw new ZoneFileError('no-owner', file, line, 'record without an owner and no previous owner');
  }
  let rr: RR;
  try {
    rr = parseRRTokens(tokens, blankOwner, {
      origin: st.origin,
      previousOwner: st.previousOwner,
      defaultTtl: NO_TTL,
      defaultClass: st.lastClass,
    });
  } catch (e) {
    if (e instanceof WireError) {
      const code = e.message.startsWith('unknown type') ? 'unknown-type' : 'bad-record';
      throw new ZoneFileError(code, file, line, e.message, { cause: e });
    }
    throw e;
  }
  if (rr.ttl === NO_TTL) {
    if (st.defaultTtl !== undefined) {
      rr.ttl = st.defaultTtl;
    } else if (st.lastTtl !== undefined) {
      rr.ttl = st.lastTtl;
      if (!st.warned1035) {
        st.warned1035 = true;
        st.warnings.push({ file, line, message: "no TTL and no $TTL: using the previous record's TTL (RFC 1035)" });
      }
    } else if (rr.type === RRType.SOA) {
      rr.ttl = (rr.data as SoaData).minimum;
      st.defaultTtl = rr.ttl;
      st.warnings.push({ file, line, message: 'no TTL specified; using SOA MINIMUM instead' });
    } else {
      throw new ZoneFileError('no-ttl', file, line, `no TTL specified for ${rr.name} and no $TTL`);
    }
  }
  st.lastTtl = rr.ttl;
  if (st.zoneClass === undefined) st.zoneClass = rr.class;
  else if (rr.class !== st.zoneClass) {
    throw new ZoneFileError(
      'class-mismatch',
      file,
      line,
      `class ${classToText(rr.class)} differs from the zone's class ${classToText(st.zoneClass)}`,
    );
  }
  st.lastClass = rr.class;
  st.previousOwner = rr.name;
  st.records.push(rr);
  st.locations.push({ file, line });
}

function errText(e: unknown): string {
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ?? e.message;
  return String(e);
}
