// IPv4 CIDR arithmetic for spec validation and subnet carving.

export interface Cidr {
  base: number; // network address as an unsigned 32-bit number
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n`; null if malformed or if host bits are set (`10.0.0.1/8`). */
export function parseCidr(text: string): Cidr | null {
  const [addr, bits, extra] = text.split('/');
  if (extra !== undefined || bits === undefined || !/^\d{1,2}$/.test(bits)) return null;
  const prefix = Number(bits);
  const base = parseIpv4(addr);
  if (base === null || prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return null;
  return { base, prefix };
}

/** Why `text` is not a CIDR parseCidr accepts, in words a user can act on; null when it is one. */
export function cidrIssue(text: string): string | null {
  if (parseCidr(text)) return null;
  const [addr, bits, extra] = text.split('/');
  const base = parseIpv4(addr);
  if (extra !== undefined || bits === undefined || !/^\d{1,2}$/.test(bits) || Number(bits) > 32 || base === null) {
    return `"${text}" is not an IPv4 CIDR like 10.0.0.0/16`;
  }
  const prefix = Number(bits);
  const network = { base: (base & (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0)) >>> 0, prefix };
  return `"${text}" has host bits set: the network is ${formatCidr(network)} (or write ${addr}/32 for the one address)`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The `index`-th subnet of `newPrefix` bits inside `parent` (for one subnet per zone). */
export function subnetOf(parent: Cidr, newPrefix: number, index: number): Cidr {
  if (newPrefix < parent.prefix || index >= 2 ** (newPrefix - parent.prefix)) {
    throw new RangeError(`cannot carve subnet #${index} of /${newPrefix} from ${formatCidr(parent)}`);
  }
  return { base: parent.base + index * 2 ** (32 - newPrefix), prefix: newPrefix };
}

/** Whether every address of `inner` is in `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && cidrsOverlap(outer, inner);
}
