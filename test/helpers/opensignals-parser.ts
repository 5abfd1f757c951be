/**
 * An independent, strict reader of OpenSignals text files, written for the tests from the layout
 * facts in docs/recording.md (which restate what PLUX's sample recordings show), not from the
 * writer's code. It throws on anything a BITalino OpenSignals file would not contain, with the
 * line number; the tests use it to check every byte the recorder writes.
 */

/** The 18 keys of a device's header entry, in the order OpenSignals writes them. */
export const HEADER_KEYS = [
  'sensor', 'device name', 'column', 'sync interval', 'time', 'comments', 'device connection', 'channels', 'date',
  'mode', 'digital IO', 'firmware version', 'device', 'position', 'sampling rate', 'label', 'resolution', 'special',
] as const;

type Kind = 'string' | 'int' | 'string[]' | 'int[]' | 'object[]';
const KINDS: Record<(typeof HEADER_KEYS)[number], Kind> = {
  sensor: 'string[]', 'device name': 'string', column: 'string[]', 'sync interval': 'int', time: 'string', comments: 'string',
  'device connection': 'string', channels: 'int[]', date: 'string', mode: 'int', 'digital IO': 'int[]', 'firmware version': 'string',
  device: 'string', position: 'int', 'sampling rate': 'int', label: 'string[]', resolution: 'int[]', special: 'object[]',
};

export interface ParsedDevice {
  key: string;
  header: Record<string, unknown>;
  /** Column name → values, in file order. */
  columns: Map<string, number[]>;
}

export interface ParsedText {
  devices: ParsedDevice[];
  /** Text after "# " on line 2 (for comparing with Python's json.dumps). */
  headerJson: string;
  rows: number;
}

function fail(line: number, what: string): never {
  throw new Error(`OpenSignals text, line ${line}: ${what}`);
}

function checkKind(v: unknown, kind: Kind): boolean {
  const isInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return isInt(v);
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'int[]':
      return Array.isArray(v) && v.every(isInt);
    case 'object[]':
      return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
  }
}

/** Parses a whole file; throws on the first deviation from the layout. */
export function parseOpenSignalsText(bytes: Uint8Array): ParsedText {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7e || (bytes[i] < 0x20 && bytes[i] !== 0x0a && bytes[i] !== 0x09)) fail(0, `byte ${i} is 0x${bytes[i].toString(16)}: the file must be printable ASCII with TAB and LF only (no CR)`);
  }
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.endsWith('\n')) fail(0, 'the file does not end with LF (the last line is incomplete)');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail(lines.length, 'fewer than 3 header lines');
  if (lines[0] !== '# OpenSignals Text File Format') fail(1, `expected "# OpenSignals Text File Format", got ${JSON.stringify(lines[0].slice(0, 60))}`);
  if (!lines[1].startsWith('# ')) fail(2, 'does not start with "# "');
  if (lines[2] !== '# EndOfHeader') fail(3, `expected "# EndOfHeader", got ${JSON.stringify(lines[2].slice(0, 60))}`);
  const headerJson = lines[1].slice(2);
  let obj: Record<string, Record<string, unknown>>;
  try {
    obj = JSON.parse(headerJson);
  } catch (e) {
    fail(2, `the header is not JSON: ${(e as Error).message}`);
  }
  if (/\b(true|false|null)\b/.test(headerJson.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) fail(2, 'the header holds true, false or null');
  const devices: ParsedDevice[] = [];
  let width = 0;
  for (const [key, header] of Object.entries(obj)) {
    const keys = Object.keys(header);
    if (keys.join('|') !== HEADER_KEYS.join('|')) fail(2, `device ${key}: keys are [${keys.join(', ')}], expected the 18 OpenSignals keys in order`);
    for (const k of HEADER_KEYS) if (!checkKind(header[k], KINDS[k])) fail(2, `device ${key}: "${k}" is not of type ${KINDS[k]}`);
    const column = header.column as string[];
    const channels = header.channels as number[];
    const n = channels.length;
    if (column.length !== 5 + n) fail(2, `device ${key}: ${column.length} columns for ${n} channels`);
    if (column[0] !== 'nSeq') fail(2, `device ${key}: the first column is ${column[0]}, not nSeq`);
    for (const k of ['sensor', 'label', 'special'] as const) if ((header[k] as unknown[]).length !== n) fail(2, `device ${key}: "${k}" has ${(header[k] as unknown[]).length} entries for ${n} channels`);
    if ((header.resolution as number[]).length !== 5 + n) fail(2, `device ${key}: "resolution" must have one entry per column`);
    if ((header['digital IO'] as number[]).length !== 4) fail(2, `device ${key}: "digital IO" must have 4 entries`);
    if (JSON.stringify(column.slice(5)) !== JSON.stringify(header.label)) fail(2, `device ${key}: "label" is not column[5:]`);
    if (!/^\d{4}-[1-9]\d?-[1-9]\d?$/.test(header.date as string)) fail(2, `device ${key}: date ${String(header.date)} is not Y-M-D without zero padding`);
    if (!/^(0|[1-9]\d?):(0|[1-9]\d?):(0|[1-9]\d?)\.(0|[1-9]\d{0,2})$/.test(header.time as string)) fail(2, `device ${key}: time ${String(header.time)} is not H:M:S.ms without zero padding`);
    devices.push({ key, header, columns: new Map(column.map((c) => [c, []])) });
    width += column.length;
  }
  if (devices.length === 0) fail(2, 'no device');
  const all = devices.flatMap((d) => [...d.columns.values()]);
  const maxima = devices.flatMap((d) => (d.header.resolution as number[]).map((r) => 2 ** r - 1));
  for (let li = 3; li < lines.length; li++) {
    const line = lines[li];
    if (!line.endsWith('\t')) fail(li + 1, 'does not end with a TAB before the LF');
    const fields = line.slice(0, -1).split('\t');
    if (fields.length !== width) fail(li + 1, `${fields.length} values, the header names ${width} columns`);
    fields.forEach((f, c) => {
      if (!/^(0|[1-9]\d*)$/.test(f)) fail(li + 1, `column ${c + 1} is ${JSON.stringify(f)}, not a decimal integer`);
      const v = Number(f);
      if (v > maxima[c]) fail(li + 1, `column ${c + 1} = ${v} is above its resolution's maximum ${maxima[c]}`);
      all[c].push(v);
    });
  }
  return { devices, headerJson, rows: lines.length - 3 };
}

/** Checks nSeq counts +1 mod 16 from row to row, except at the given rows (where a gap shows); returns the rows where it jumps. */
export function seqJumps(nSeq: readonly number[]): number[] {
  const jumps: number[] = [];
  for (let i = 1; i < nSeq.length; i++) if (nSeq[i] !== ((nSeq[i - 1] + 1) & 15)) jumps.push(i);
  return jumps;
}
