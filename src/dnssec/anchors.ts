import { type DnskeyData, type DsData, Name, type RR, RRType } from '../wire/index.js';

/**
 * Trust anchors (RFC 4033 5, RFC 7958): DS or DNSKEY records for zones whose keys
 * are trusted without a parent. Built in: the IANA root KSKs KSK-2017 (20326) and
 * KSK-2024 (38696) as DS records, from IANA's root-anchors.
 */
export const IANA_ROOT_ANCHORS = `
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`;

export interface ZoneAnchor {
  zone: Name;
  ds: DsData[];
  dnskeys: DnskeyData[];
}

export class TrustAnchors {
  readonly #byZone = new Map<string, ZoneAnchor>();

  constructor(records: readonly RR[] = []) {
    for (const rr of records) this.add(rr);
  }

  add(rr: RR): void {
    if (rr.type !== RRType.DS && rr.type !== RRType.DNSKEY) return;
    let a = this.#byZone.get(rr.name.key);
    if (a === undefined) {
      a = { zone: rr.name.lower(), ds: [], dnskeys: [] };
      this.#byZone.set(rr.name.key, a);
    }
    if (rr.type === RRType.DS) a.ds.push(rr.data as DsData);
    else a.dnskeys.push(rr.data as DnskeyData);
  }

  get size(): number {
    return this.#byZone.size;
  }

  get(zone: Name): ZoneAnchor | undefined {
    return this.#byZone.get(zone.key);
  }

  /** The anchor at `name` or its closest ancestor that has one. */
  closest(name: Name): ZoneAnchor | undefined {
    let n = name;
    for (;;) {
      const a = this.#byZone.get(n.key);
      if (a) return a;
      if (n.isRoot()) return undefined;
      n = n.parent();
    }
  }

  zones(): Name[] {
    return [...this.#byZone.values()].map((a) => a.zone);
  }
}

export { Name };
