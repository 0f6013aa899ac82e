import { describe, expect, it } from 'vitest';
import { csvText } from './csvText.ts';

describe('csvText', () => {
  it('reads UTF-8, and Windows-1252 as Excel in French writes it', () => {
    const line = 'Établissement;Académie\nLycée Schœlcher;Martinique\n';
    expect(csvText(new TextEncoder().encode(line))).toBe(line);
    // « É » 0xC9, « é » 0xE9 in Windows-1252 (bytes 0x80–0x9F, « œ » among them, decode
    // as Windows-1252 in browsers; Node's decoder reads them as Latin-1, so they stay out of here).
    const cp1252 = Uint8Array.from([
      0xc9, 0x74, 0x3b, 0x4c, 0x79, 0x63, 0xe9, 0x65, 0x20, 0x53, 0x63, 0x68,
    ]);
    expect(csvText(cp1252)).toBe('Ét;Lycée Sch');
  });
});
