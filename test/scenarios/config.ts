/**
 * The CONFIG part of a .rpl file (everything before CONFIG_END), normalised: root hints,
 * stub zones, trust anchors, clock, QNAME minimisation; everything else is kept raw so
 * the runner can decide whether the scenario applies (applicability.ts).
 */
import { Name, type RR, RRType } from '../../src/wire/index.js';
import { parseRecordText } from './lenient.js';
import { RplError, stripComment, unquote } from './lines.js';
import type { Flavour, QminSetting, RawOption, ScenarioConfig, StubZone } from './types.js';

/** Deckard's root server name when `stub-name` is absent (also used for testbound's root stub-zone). */
export const DEFAULT_STUB_NAME = 'k.root-servers.net.';
/** TTL of the synthesised root hints (as in the root hints file). */
export const ROOT_HINT_TTL = 3600000;

interface ConfigLine {
  no: number;
  key: string;
  value: string;
}

/** Parses the config lines (the file's lines before CONFIG_END). */
export function parseConfig(raw: string[], file: string, warnings: string[] = []): ScenarioConfig {
  const lines: ConfigLine[] = [];
  for (let i = 0; i < raw.length; i++) {
    const text = stripComment(raw[i], true).trim();
    if (text === '') continue;
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(text);
    if (!m) throw new RplError(file, i + 1, `expected "key: value" in the config, got "${text}"`);
    lines.push({ no: i + 1, key: m[1], value: unquote(m[2].trim()) });
  }
  const flavour: Flavour = lines.some((l) => l.value === '' && CLAUSES.has(l.key)) ? 'testbound' : 'deckard';
  const cfg = flavour === 'deckard' ? deckardConfig(lines, file) : testboundConfig(lines, file);
  cfg.trustAnchors = anchorLines(lines, cfg.flavour).map((l) => trustAnchor(l, file, warnings));
  return cfg;
}

const CLAUSES = new Set(['server', 'stub-zone', 'forward-zone', 'auth-zone', 'remote-control', 'view', 'python']);

function deckardConfig(lines: ConfigLine[], file: string): ScenarioConfig {
  const cfg = emptyConfig('deckard');
  let stub: StubZone | undefined;
  const stubNames: ConfigLine[] = [];
  for (const l of lines) {
    switch (l.key) {
      case 'stub-addr':
        stub ??= { name: Name.ROOT, addrs: [], hosts: [], line: l.no };
        stub.addrs.push(address(l, file));
        break;
      case 'stub-name':
        stubNames.push(l);
        break;
      case 'trust-anchor':
        break; // parsed by anchorLines
      case 'val-override-date':
      case 'val-override-timestamp':
        cfg.valOverrideDate = overrideDate(l, file);
        break;
      case 'query-minimization':
      case 'qname-minimisation':
        cfg.qnameMinimisation = onOff(l, file);
        break;
      default:
        cfg.options.push({ clause: '', key: l.key, value: l.value, line: l.no });
    }
  }
  if (stub === undefined && stubNames.length > 0)
    throw new RplError(file, stubNames[0].no, 'stub-name without stub-addr');
  if (stub !== undefined) {
    stub.hosts = stubNames.length > 0 ? stubNames.map((l) => name(l, file)) : [Name.fromText(DEFAULT_STUB_NAME)];
    cfg.stubZones.push(stub);
    cfg.rootHints = rootHints(stub);
  }
  return cfg;
}

function testboundConfig(lines: ConfigLine[], file: string): ScenarioConfig {
  const cfg = emptyConfig('testbound');
  // Unbound's default is qname-minimisation: yes.
  cfg.qnameMinimisation = 'on';
  let clause = '';
  let zone: { stub: StubZone; hasName: boolean } | undefined;
  const closeZone = () => {
    if (zone !== undefined) {
      if (!zone.hasName) throw new RplError(file, zone.stub.line, 'stub-zone without name');
      cfg.stubZones.push(zone.stub);
    }
    zone = undefined;
  };
  for (const l of lines) {
    if (l.value === '' && CLAUSES.has(l.key)) {
      closeZone();
      clause = l.key;
      if (clause === 'stub-zone')
        zone = { stub: { name: Name.ROOT, addrs: [], hosts: [], line: l.no }, hasName: false };
      continue;
    }
    if (clause === '') throw new RplError(file, l.no, `option "${l.key}" outside a clause`);
    if (clause === 'stub-zone' && zone !== undefined) {
      if (l.key === 'name') {
        zone.stub.name = name(l, file);
        zone.hasName = true;
        continue;
      }
      if (l.key === 'stub-addr') {
        zone.stub.addrs.push(address(l, file));
        continue;
      }
      if (l.key === 'stub-host') {
        zone.stub.hosts.push(name(l, file));
        continue;
      }
    }
    if (clause === 'server') {
      if (l.key === 'trust-anchor') continue; // parsed by anchorLines
      if (l.key === 'val-override-date' || l.key === 'val-override-timestamp') {
        cfg.valOverrideDate = overrideDate(l, file);
        continue;
      }
      if (l.key === 'qname-minimisation' || l.key === 'qname-minimization') {
        cfg.qnameMinimisation = onOff(l, file);
        continue;
      }
    }
    cfg.options.push({ clause, key: l.key, value: l.value, line: l.no } satisfies RawOption);
  }
  closeZone();
  const root = cfg.stubZones.find((z) => z.name.isRoot());
  if (root !== undefined) {
    if (root.hosts.length === 0 && root.addrs.length > 0) root.hosts.push(Name.fromText(DEFAULT_STUB_NAME));
    cfg.rootHints = rootHints(root);
  }
  return cfg;
}

function emptyConfig(flavour: Flavour): ScenarioConfig {
  return { flavour, rootHints: [], stubZones: [], trustAnchors: [], qnameMinimisation: 'unspecified', options: [] };
}

/** `. NS host` for each host, and every address as glue of every host. */
function rootHints(stub: StubZone): RR[] {
  const out: RR[] = [];
  for (const h of stub.hosts)
    out.push({ name: Name.ROOT, type: RRType.NS, class: 1, ttl: ROOT_HINT_TTL, data: { target: h } });
  for (const h of stub.hosts)
    for (const a of stub.addrs)
      out.push({
        name: h,
        type: a.includes(':') ? RRType.AAAA : RRType.A,
        class: 1,
        ttl: ROOT_HINT_TTL,
        data: { address: a },
      });
  return out;
}

function name(l: ConfigLine, file: string): Name {
  try {
    return Name.fromText(l.value, Name.ROOT);
  } catch (e) {
    throw new RplError(file, l.no, `bad name in ${l.key}: ${(e as Error).message}`, { cause: e });
  }
}

/** An address, without testbound's optional `@port`. */
function address(l: ConfigLine, file: string): string {
  const a = l.value.replace(/@\d+$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(a) || a === '') throw new RplError(file, l.no, `bad address in ${l.key}: "${l.value}"`);
  return a;
}

/** The `trust-anchor:` lines (testbound: of the server clause). */
function anchorLines(lines: ConfigLine[], flavour: Flavour): ConfigLine[] {
  if (flavour === 'deckard') return lines.filter((l) => l.key === 'trust-anchor');
  let clause = '';
  return lines.filter((l) => {
    if (l.value === '' && CLAUSES.has(l.key)) clause = l.key;
    return clause === 'server' && l.key === 'trust-anchor';
  });
}

function trustAnchor(l: ConfigLine, file: string, warnings: string[]): RR {
  try {
    const rr = parseRecordText(l.value, (w) => warnings.push(`${file}:${l.no}: ${w}`));
    if (rr.type !== RRType.DS && rr.type !== RRType.DNSKEY) throw new Error('not a DS or DNSKEY record');
    return rr;
  } catch (e) {
    throw new RplError(file, l.no, `bad trust-anchor "${l.value}": ${(e as Error).message}`, { cause: e });
  }
}

/** `YYYYMMDDHHMMSS` (UTC) or POSIX seconds, to unix seconds. */
function overrideDate(l: ConfigLine, file: string): number {
  const v = l.value;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (m && l.key === 'val-override-date') {
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
      throw new RplError(file, l.no, `bad date in ${l.key}: "${v}"`);
    return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  }
  if (/^\d+$/.test(v)) return Number(v);
  throw new RplError(file, l.no, `bad date in ${l.key}: "${v}"`);
}

function onOff(l: ConfigLine, file: string): QminSetting {
  const v = l.value.toLowerCase();
  if (v === 'on' || v === 'yes' || v === 'true') return 'on';
  if (v === 'off' || v === 'no' || v === 'false') return 'off';
  throw new RplError(file, l.no, `expected on/off for ${l.key}, got "${l.value}"`);
}
