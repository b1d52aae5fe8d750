import { describe, expect, it } from 'vitest';
import { cpGroupsToRecords } from './cp.js';
import { modbusCrcLowFirst } from './crc.js';
import { buildAck9014 } from './encode.js';
import { parseFrame } from './frame.js';
import { decodeFrame } from './packet.js';
import { loadVectorPackets, type VectorPacket } from './vectors.fixture.js';

/**
 * Every shared vector, field by field (../shared/vectors/README.md). Frames are checked both as strings
 * and as raw bytes (what the stream framer hands over).
 */

const packets = loadVectorPackets();

/** The one documented override of the protocol column (vectors README "protocol"). */
const PROTOCOL_OVERRIDES = new Set(['chenqi92-st21-flag8']);

function checkFrame(p: VectorPacket, input: string | Uint8Array) {
  const parsed = parseFrame(input);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const f = parsed.frame;
  const e = p.expect;
  expect(f.lengthField).toBe(e.lengthField);
  expect(f.declaredLength).toBe(e.declaredLength);
  expect(f.lengthBytes).toBe(e.lengthBytes);
  expect(f.lengthChars).toBe(e.lengthChars);
  expect(f.lengthOk).toBe(e.lengthOk);
  expect(f.segment).toBe(e.segment);
  expect(f.crcTransmitted).toBe(e.crcTransmitted);
  expect(f.crcComputed).toBe(e.crcComputed);
  expect(f.crcOk).toBe(e.crcOk);
  expect(f.crcMatchesModbusLowFirst).toBe(e.crcMatchesModbusLowFirst);
  expect(f.terminator).toBe(e.terminator);
  expect(modbusCrcLowFirst(Buffer.from(f.segment, 'utf8'))).toBe(e.crcModbusLowFirst);
}

describe('shared HJ 212 vectors', () => {
  it('has the vectors', () => {
    expect(packets.length).toBeGreaterThanOrEqual(72);
  });

  for (const p of packets) {
    describe(p.id, () => {
      const e = p.expect;

      it('frame (string input)', () => checkFrame(p, p.raw));
      it('frame (byte input)', () => checkFrame(p, Buffer.from(p.raw, 'utf8')));

      it('header, cp, DataTime, Flag bits (CRC policy off)', () => {
        const decoded = decodeFrame(p.raw, { crcPolicy: 'off' });
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        const packet = decoded.packet;
        expect(packet.rawHeader).toEqual(e.header);
        expect(cpGroupsToRecords(packet.cp)).toEqual(e.cp);
        expect(packet.dataTime ?? null).toBe(e.dataTime);
        expect(packet.flagVersion).toBe(e.flagVersion);
        expect(packet.split).toBe(e.split);
        expect(packet.ackRequired).toBe(e.ackRequired);
        if (!PROTOCOL_OVERRIDES.has(p.id)) expect(packet.protocol).toBe(p.protocol);
        expect(packet.crc).toBe(e.crcOk ? 'ok' : e.crcMatchesModbusLowFirst ? 'modbus' : 'unchecked');
        // A lenient receiver (one that accepts the frame) acks it as a conformant one would.
        expect(buildAck9014(packet)).toBe(e.reply9014IfCrcIgnored ?? e.reply9014);
      });

      it('strict CRC policy: reply9014', () => {
        const decoded = decodeFrame(Buffer.from(p.raw, 'utf8'), { crcPolicy: 'strict' });
        if (e.crcOk) {
          expect(decoded.ok).toBe(true);
          if (decoded.ok) {
            expect(decoded.packet.crc).toBe('ok');
            expect(buildAck9014(decoded.packet)).toBe(e.reply9014);
          }
        } else {
          expect(decoded).toMatchObject({ ok: false, code: 'ING_HJ212_CRC' });
          expect(e.reply9014).toBeNull();
        }
      });

      it('lenient CRC policy accepts exactly the correct and the MODBUS-low-first CRCs', () => {
        const decoded = decodeFrame(p.raw, { crcPolicy: 'lenient' });
        expect(decoded.ok).toBe(e.crcOk || e.crcMatchesModbusLowFirst);
        if (decoded.ok && !e.crcOk) {
          expect(decoded.packet.crc).toBe('modbus');
          expect(decoded.packet.warnings).toContain('crc-modbus');
        }
      });
    });
  }

  it('reply vectors equal the reply9014 of the uploads they answer', () => {
    const byId = new Map(packets.map((p) => [p.id, p]));
    const pairs: [string, string][] = [
      ['std-C14-2011-realtime-wastewater', 'std-C14-9014-data-answer'],
      ['std-C48-2061-history-upload-ack', 'std-C48-9014-data-answer'],
      ['std-C50-2061-split-ack-2of2', 'std-C50-9014-answer-2of2'],
    ];
    for (const [upload, answer] of pairs) {
      expect(byId.get(upload)?.expect.reply9014).toBe(byId.get(answer)?.raw);
    }
  });

  it('reports deviations as warnings', () => {
    const warningsOf = (id: string) => {
      const p = packets.find((v) => v.id === id);
      const decoded = p && decodeFrame(p.raw, { crcPolicy: 'off' });
      return decoded?.ok ? decoded.packet.warnings : undefined;
    };
    expect(warningsOf('synthetic-C40-char-count-length')).toContain('length-mismatch');
    expect(warningsOf('flash520-2051-st22-no-crlf')).toContain('no-terminator');
    expect(warningsOf('zblzbl-9014-lowercase')).toContain('crc-lowercase');
    expect(warningsOf('bocon-2005-split-oversize-1045')).toContain('oversize');
    expect(warningsOf('bocon-2005-FLAG-upper-junk-comma')).toEqual([]);
    expect(warningsOf('xiaoyao-readme-stale-4980')).toContain('crc-unchecked');
    expect(warningsOf('std-C14-2011-realtime-wastewater')).toEqual([]);
  });
});
