/**
 * HJ 212 checksum (HJ 212-2017 附录A; hj212.md §2).
 *
 * The standard's "ANSI CRC16" is NOT CRC-16/MODBUS: for each byte the register becomes
 * `(crc >> 8) ^ byte` — the low byte is discarded — and is then shifted 8 times with the reflected
 * polynomial 0xA001. After the XOR the register holds at most 8 significant bits, so the 8 shift
 * rounds are a pure function of that byte: one 256-entry table lookup per input byte.
 * Check values: "123456789" → 2F80; the appendix-A segment → 1C80 (the standard's prose says "1C08", a typo).
 */

/**
 * The 8 reflected shift rounds with polynomial 0xA001, precomputed for every 8-bit register value. It is
 * the same table CRC-16/MODBUS uses; the two algorithms differ only in how a byte enters the register.
 */
const SHIFT_TABLE: Uint16Array = buildShiftTable();

function buildShiftTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let r = n;
    for (let bit = 0; bit < 8; bit++) r = r & 1 ? (r >>> 1) ^ 0xa001 : r >>> 1;
    table[n] = r;
  }
  return table;
}

/**
 * HJ 212-2017 附录A CRC over `bytes[start, end)`: the raw data-segment bytes as received (hj212.md §2,
 * §10: over the received bytes, so GBK or malformed text still checks against what the device summed).
 */
export function hj212Crc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const table = SHIFT_TABLE;
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    // Register is ≤ 0xFF after the XOR, so the index is always in range.
    crc = table[(crc >>> 8) ^ (bytes[i] as number)] as number;
  }
  return crc;
}

/**
 * HJ 212 CRC of a string's UTF-8 encoding. Almost every segment is pure ASCII, where UTF-8 bytes equal
 * the char codes, so the common case is summed straight from the string without encoding it.
 */
export function hj212CrcOfString(text: string): number {
  const table = SHIFT_TABLE;
  let crc = 0xffff;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return hj212Crc(Buffer.from(text, 'utf8'));
    crc = table[(crc >>> 8) ^ c] as number;
  }
  return crc;
}

const HEX_UPPER = '0123456789ABCDEF';

/** `%04X`, as the standard prints it (high byte first, upper case, leading zeros kept: 0 → "0000"). */
export function formatCrc(crc: number): string {
  return (
    HEX_UPPER[(crc >>> 12) & 0xf] +
    (HEX_UPPER[(crc >>> 8) & 0xf] as string) +
    (HEX_UPPER[(crc >>> 4) & 0xf] as string) +
    (HEX_UPPER[crc & 0xf] as string)
  );
}

/** CRC-16/MODBUS (`crc ^= b`, whole register kept) as a number; "123456789" → 0x4B37. */
export function modbusCrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const table = SHIFT_TABLE;
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ (table[(crc ^ (bytes[i] as number)) & 0xff] as number);
  }
  return crc;
}

/**
 * CRC-16/MODBUS printed low byte first: what real gateways with the MODBUS bug transmit instead of the
 * HJ 212 CRC (hj212.md §2.2: rx.log "A6EC" = MODBUS 0xECA6). Upper-case hex.
 */
export function modbusCrcLowFirst(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const crc = modbusCrc(bytes, start, end);
  return formatCrc(((crc & 0xff) << 8) | (crc >>> 8));
}

/** Parses 4 hex characters (either case) into a number; -1 if any character is not hex. */
export function parseCrcHex(text: string): number {
  if (text.length !== 4) return -1;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return -1;
    value = (value << 4) | d;
  }
  return value;
}

/** Value of one ASCII hex digit, -1 otherwise. */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
