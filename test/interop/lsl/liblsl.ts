/**
 * The real liblsl, loaded with koffi, for the interoperability suite (docs/lsl.md §14). Needs
 * LIBLSL=/path/to/liblsl.so (.ci/run builds liblsl 1.17.7 and sets it); fails loudly without it. Before the library is first used, an lsl_api.cfg of the suite's own is
 * written and named by LSLAPICFG: `[lab] KnownPeers = {127.0.0.1}` makes same-host discovery
 * reliable (unicast to each service port), and the log level keeps liblsl's INFO lines quiet.
 *
 * Every call that can block (resolve, open, pull, time correction, destroy) goes through koffi's
 * async form so the outlet under test, on this same event loop, keeps serving meanwhile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';

const libPath = process.env.LIBLSL;
if (!libPath) {
  throw new Error(
    'LIBLSL is not set: the LSL interoperability suite drives the real liblsl (1.17.7). Build it, then run\n' +
      '  LIBLSL=/path/to/liblsl.so npm run test:lsl\n' +
      '(.ci/run builds it and runs the suite; see docs/lsl.md §14).',
  );
}
if (!fs.existsSync(libPath)) throw new Error(`LIBLSL=${libPath} does not exist: build liblsl first (docs/lsl.md §14).`);

/** The suite's lsl_api.cfg (written once per test process, before liblsl reads its configuration). */
export const apiConfigPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-lsl-')), 'lsl_api.cfg');
fs.writeFileSync(apiConfigPath, process.env.LSL_API_CFG_EXTRA ?? '[lab]\nKnownPeers = {127.0.0.1}\n\n[log]\nlevel = -2\n');
process.env.LSLAPICFG = apiConfigPath;

const lib = koffi.load(libPath);

export const cft = { float32: 1, double64: 2, string: 3, int32: 4, int16: 5, int8: 6, int64: 7 } as const;

const destroyString = lib.func('void lsl_destroy_string(void *s)');
const OwnedString = koffi.disposable('OwnedString', 'str', destroyString);

const f = {
  localClock: lib.func('double lsl_local_clock()'),
  libraryVersion: lib.func('int lsl_library_version()'),
  protocolVersion: lib.func('int lsl_protocol_version()'),
  createInfo: lib.func('void *lsl_create_streaminfo(const char *name, const char *type, int channel_count, double nominal_srate, int channel_format, const char *source_id)'),
  destroyInfo: lib.func('void lsl_destroy_streaminfo(void *info)'),
  infoFromXml: lib.func('void *lsl_streaminfo_from_xml(const char *xml)'),
  getXml: lib.func(`${'OwnedString'} lsl_get_xml(void *info)`),
  getDesc: lib.func('void *lsl_get_desc(void *info)'),
  appendChild: lib.func('void *lsl_append_child(void *e, const char *name)'),
  appendChildValue: lib.func('void *lsl_append_child_value(void *e, const char *name, const char *value)'),
  matchesQuery: lib.func('int lsl_stream_info_matches_query(void *info, const char *query)'),
  getName: lib.func('const char *lsl_get_name(void *info)'),
  getType: lib.func('const char *lsl_get_type(void *info)'),
  getSourceId: lib.func('const char *lsl_get_source_id(void *info)'),
  getUid: lib.func('const char *lsl_get_uid(void *info)'),
  getChannelCount: lib.func('int lsl_get_channel_count(void *info)'),
  getChannelFormat: lib.func('int lsl_get_channel_format(void *info)'),
  getSrate: lib.func('double lsl_get_nominal_srate(void *info)'),
  resolveByprop: lib.func('int lsl_resolve_byprop(void *buffer, uint32_t n, const char *prop, const char *value, int minimum, double timeout)'),
  resolveBypred: lib.func('int lsl_resolve_bypred(void *buffer, uint32_t n, const char *pred, int minimum, double timeout)'),
  createOutlet: lib.func('void *lsl_create_outlet(void *info, int chunk_size, int max_buffered)'),
  destroyOutlet: lib.func('void lsl_destroy_outlet(void *out)'),
  outletInfo: lib.func('void *lsl_get_info(void *out)'),
  pushSampleFt: lib.func('int lsl_push_sample_ft(void *out, const float *data, double timestamp)'),
  pushSampleSt: lib.func('int lsl_push_sample_st(void *out, const int16_t *data, double timestamp)'),
  haveConsumers: lib.func('int lsl_have_consumers(void *out)'),
  createInlet: lib.func('void *lsl_create_inlet(void *info, int max_buflen, int max_chunklen, int recover)'),
  destroyInlet: lib.func('void lsl_destroy_inlet(void *inlet)'),
  openStream: lib.func('void lsl_open_stream(void *inlet, double timeout, _Out_ int *ec)'),
  closeStream: lib.func('void lsl_close_stream(void *inlet)'),
  fullinfo: lib.func('void *lsl_get_fullinfo(void *inlet, double timeout, _Out_ int *ec)'),
  timeCorrection: lib.func('double lsl_time_correction_ex(void *inlet, _Out_ double *remote_time, _Out_ double *uncertainty, double timeout, _Out_ int *ec)'),
  pullChunkF: lib.func('unsigned long lsl_pull_chunk_f(void *inlet, _Out_ float *data, _Out_ double *ts, unsigned long data_elements, unsigned long ts_elements, double timeout, _Out_ int *ec)'),
  pullChunkS: lib.func('unsigned long lsl_pull_chunk_s(void *inlet, _Out_ int16_t *data, _Out_ double *ts, unsigned long data_elements, unsigned long ts_elements, double timeout, _Out_ int *ec)'),
};

type AsyncFn = { async: (...args: unknown[]) => void };
function call<T>(fn: unknown, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) =>
    (fn as AsyncFn).async(...args, (err: unknown, res: T) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(res);
    }),
  );
}

function check(ec: number[], what: string): void {
  if (ec[0] !== 0) throw new Error(`${what}: liblsl error code ${ec[0]}`);
}

export const liblsl = {
  localClock: (): number => f.localClock() as number,
  libraryVersion: (): number => f.libraryVersion() as number,
  protocolVersion: (): number => f.protocolVersion() as number,
};

/** A stream info handle (read-only helpers). */
export interface InfoSummary {
  name: string;
  type: string;
  sourceId: string;
  uid: string;
  channelCount: number;
  channelFormat: number;
  nominalSrate: number;
  xml: string;
}

export function summarize(info: unknown): InfoSummary {
  return {
    name: f.getName(info) as string,
    type: f.getType(info) as string,
    sourceId: f.getSourceId(info) as string,
    uid: f.getUid(info) as string,
    channelCount: f.getChannelCount(info) as number,
    channelFormat: f.getChannelFormat(info) as number,
    nominalSrate: f.getSrate(info) as number,
    xml: f.getXml(info) as string,
  };
}

/** A liblsl stream info object (for the matcher oracle and liblsl's own outlets). */
export class Info {
  readonly handle: unknown;
  constructor(name: string, type: string, channels: number, srate: number, format: number, sourceId: string) {
    this.handle = f.createInfo(name, type, channels, srate, format, sourceId);
    if (!this.handle) throw new Error('lsl_create_streaminfo failed');
  }
  static fromXml(xml: string): Info {
    const info = Object.create(Info.prototype) as { handle: unknown };
    info.handle = f.infoFromXml(xml);
    return info as Info;
  }
  get desc(): unknown {
    return f.getDesc(this.handle);
  }
  appendChild(parent: unknown, name: string): unknown {
    return f.appendChild(parent, name);
  }
  appendChildValue(parent: unknown, name: string, value: string): unknown {
    return f.appendChildValue(parent, name, value);
  }
  matches(query: string): boolean {
    return (f.matchesQuery(this.handle, query) as number) !== 0;
  }
  xml(): string {
    return f.getXml(this.handle) as string;
  }
  destroy(): void {
    f.destroyInfo(this.handle);
  }
}

function pointers(buf: Buffer, n: number): unknown[] {
  const out: unknown[] = [];
  const size = koffi.sizeof('void *');
  for (let i = 0; i < Math.min(16, Math.max(0, n)); i++) out.push(koffi.decode(buf, i * size, 'void *'));
  return out;
}

/** Resolves streams with liblsl (blocking call on a worker thread). */
export async function resolveByprop(prop: string, value: string, minimum = 1, timeout = 10): Promise<InfoSummary[]> {
  const buf = Buffer.alloc(16 * koffi.sizeof('void *'));
  const n = await call<number>(f.resolveByprop, buf, 16, prop, value, minimum, timeout);
  const handles = pointers(buf, n);
  const out = handles.map(summarize);
  for (const h of handles) f.destroyInfo(h);
  return out;
}

/** Resolves and returns the raw handles (the caller opens inlets on them, then destroys them). */
export async function resolveHandles(pred: string, minimum = 1, timeout = 10): Promise<unknown[]> {
  const buf = Buffer.alloc(16 * koffi.sizeof('void *'));
  const n = await call<number>(f.resolveBypred, buf, 16, pred, minimum, timeout);
  return pointers(buf, n);
}

export function destroyInfoHandle(h: unknown): void {
  f.destroyInfo(h);
}

/** A liblsl outlet (to record what the real library sends). */
export class Outlet {
  readonly handle: unknown;
  constructor(info: Info, maxBuffered = 360) {
    this.handle = f.createOutlet(info.handle, 0, maxBuffered);
    if (!this.handle) throw new Error('lsl_create_outlet failed');
  }
  xml(): string {
    return f.getXml(f.outletInfo(this.handle)) as string;
  }
  pushFloat(values: Float32Array, timestamp: number): void {
    f.pushSampleFt(this.handle, values, timestamp);
  }
  pushInt16(values: Int16Array, timestamp: number): void {
    f.pushSampleSt(this.handle, values, timestamp);
  }
  haveConsumers(): boolean {
    return (f.haveConsumers(this.handle) as number) !== 0;
  }
  async destroy(): Promise<void> {
    await call(f.destroyOutlet, this.handle);
  }
}

/** A liblsl inlet on a resolved stream. */
export class Inlet {
  readonly handle: unknown;
  readonly channels: number;
  /** @param info a resolved info handle (from resolveHandles) */
  constructor(info: unknown, maxBuflenSeconds = 360, recover = true) {
    this.channels = f.getChannelCount(info) as number;
    this.handle = f.createInlet(info, maxBuflenSeconds, 0, recover ? 1 : 0);
    if (!this.handle) throw new Error('lsl_create_inlet failed');
  }
  async open(timeout = 10): Promise<void> {
    const ec = [0];
    await call(f.openStream, this.handle, timeout, ec);
    check(ec, 'lsl_open_stream');
  }
  async fullinfo(timeout = 10): Promise<InfoSummary> {
    const ec = [0];
    const h = await call<unknown>(f.fullinfo, this.handle, timeout, ec);
    check(ec, 'lsl_get_fullinfo');
    const s = summarize(h);
    f.destroyInfo(h);
    return s;
  }
  async timeCorrection(timeout = 10): Promise<{ offset: number; remoteTime: number; uncertainty: number }> {
    const ec = [0];
    const remote = [0];
    const unc = [0];
    const offset = await call<number>(f.timeCorrection, this.handle, remote, unc, timeout, ec);
    check(ec, 'lsl_time_correction');
    return { offset, remoteTime: remote[0], uncertainty: unc[0] };
  }
  /** Pulls up to `max` float samples, waiting up to `timeout` s for the first. */
  async pullFloat(max: number, timeout: number): Promise<{ values: Float32Array; timestamps: Float64Array }> {
    const data = new Float32Array(max * this.channels);
    const ts = new Float64Array(max);
    const ec = [0];
    const n = await call<number>(f.pullChunkF, this.handle, data, ts, data.length, ts.length, timeout, ec);
    check(ec, 'lsl_pull_chunk_f');
    const count = Math.floor(n / this.channels);
    return { values: data.subarray(0, count * this.channels), timestamps: ts.subarray(0, count) };
  }
  /** The float samples the inlet holds now, at most `max`, without waiting (timeout 0: a call of microseconds, fine on the event loop). */
  pullFloatNow(max: number): { values: Float32Array; timestamps: Float64Array } {
    const data = new Float32Array(max * this.channels);
    const ts = new Float64Array(max);
    const ec = [0];
    const n = f.pullChunkF(this.handle, data, ts, data.length, ts.length, 0.0, ec) as number;
    check(ec, 'lsl_pull_chunk_f');
    const count = Math.floor(n / this.channels);
    return { values: data.slice(0, count * this.channels), timestamps: ts.slice(0, count) };
  }
  async pullInt16(max: number, timeout: number): Promise<{ values: Int16Array; timestamps: Float64Array }> {
    const data = new Int16Array(max * this.channels);
    const ts = new Float64Array(max);
    const ec = [0];
    const n = await call<number>(f.pullChunkS, this.handle, data, ts, data.length, ts.length, timeout, ec);
    check(ec, 'lsl_pull_chunk_s');
    const count = Math.floor(n / this.channels);
    return { values: data.subarray(0, count * this.channels), timestamps: ts.subarray(0, count) };
  }
  async destroy(): Promise<void> {
    await call(f.destroyInlet, this.handle);
  }
}
