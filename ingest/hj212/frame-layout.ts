/**
 * The byte layout of an HJ 212 frame (hj212.md §1), shared by the whole-frame parser (frame.ts) and the
 * TCP stream framer (stream-framer.ts): `##` + 4 length digits + data segment + 4 CRC hex digits + `\r\n`.
 */
export const HASH = 0x23; // '#', twice at the start of every frame
export const CR = 0x0d;
export const LF = 0x0a;
/** A frame's length field has at most 4 digits (0000–9999). */
export const MAX_LENGTH_DIGITS = 4;
export const CRC_CHARS = 4;
export const DIGIT_0 = 0x30;

export function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_0 + 9;
}
