// Client addresses as the throttle and the hashing queue count them. An IPv4 client is one address; an
// IPv6 client is its /64, because one host is routinely given a whole /64 and could otherwise step to a
// fresh address for every guess. Exempt networks are CIDRs of either family.

/** An address as 4 (IPv4) or 16 (IPv6) bytes. IPv4-mapped IPv6 (::ffff:a.b.c.d) is given as IPv4. */
export type AddressBytes = Uint8Array;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): AddressBytes | null {
  const m = IPV4.exec(text);
  if (m === null) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] as string;
    // A leading zero reads as octal to some parsers: refuse it rather than guess.
    if (part.length > 1 && part.startsWith("0")) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

/** The 16-bit groups of one side of `::` (an IPv4 tail counts as two); null when malformed. */
function hextets(side: string, allowV4Tail: boolean): number[] | null {
  if (side === "") return [];
  const parts = side.split(":");
  const out: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (allowV4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (HEXTET.test(part)) out.push(parseInt(part, 16));
    else return null;
  }
  return out;
}

function parseIpv6(text: string): AddressBytes | null {
  // A zone (fe80::1%eth0) names an interface of this host, not a different client.
  const zone = text.indexOf("%");
  const bare = zone >= 0 ? text.slice(0, zone) : text;
  const halves = bare.split("::");
  if (halves.length > 2) return null;
  let groups: number[];
  if (halves.length === 2) {
    const head = hextets(halves[0] as string, false);
    const tail = hextets(halves[1] as string, true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = hextets(bare, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** The address's bytes, or null when `text` is not an IPv4 or IPv6 address. */
export function parseAddress(text: string): AddressBytes | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return v4;
  if (!text.includes(":")) return null;
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/**
 * The key the throttle and the hashing queue count `ip` under: the IPv4 address in dotted form, or the
 * IPv6 /64 as "xxxx:xxxx:xxxx:xxxx::/64". Text that is no address is its own key (prefixed so it cannot
 * collide with an address's), so it is still counted.
 */
export function addressKey(ip: string): string {
  const bytes = parseAddress(ip);
  if (bytes === null) return `?${ip}`;
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return `${groups.join(":")}::/64`;
}

/** A network: its address bytes and prefix length. */
export interface Cidr {
  readonly bytes: AddressBytes;
  readonly prefix: number;
  /** As written, for messages. */
  readonly text: string;
}

/** `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or `x::/n`; null when malformed or the prefix is out of range. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  if (addressText.includes("%")) return null;
  const bytes = parseAddress(addressText);
  if (bytes === null) return null;
  // An IPv4-mapped network is written with the IPv6 prefix; the mapped address is kept as IPv4.
  const mappedShift = bytes.length === 4 && addressText.includes(":") ? 96 : 0;
  const max = bytes.length * 8 + mappedShift;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max || prefix < mappedShift) return null;
  }
  return { bytes, prefix: prefix - mappedShift, text };
}

/** Whether `address` lies in `cidr` (the same family only). */
export function inCidr(address: AddressBytes, cidr: Cidr): boolean {
  if (address.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] as number) & mask) !== ((cidr.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/** Whether `ip` lies in one of `networks`; text that is no address lies in none. */
export function inAnyCidr(ip: string, networks: readonly Cidr[]): boolean {
  if (networks.length === 0) return false;
  const bytes = parseAddress(ip);
  return bytes !== null && networks.some((cidr) => inCidr(bytes, cidr));
}
