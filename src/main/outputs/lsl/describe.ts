/**
 * How the LSL output describes itself to a person (the `serverbit` CLI's lines; docs/lsl.md §11):
 * whether it is on, for whom (this computer only, or a network), which streams are open, and
 * every error with what to do about it.
 *
 *   LSL on for this computer only (127.0.0.1): 2 streams — "BITalino rev" (ECG), "simulator" (Biosignals)
 *   LSL: cannot serve on 192.0.2.1: it is not an address of this computer (EADDRNOTAVAIL) — streams "A", "B"
 *     → Set lsl.host to "127.0.0.1" (this computer only), "0.0.0.0" (every network) or …
 */
import type { WireError } from '#shared/acquisition.js';
import type { OutputStatus } from '../output.js';
import { isLoopback } from './discovery.js';
import { LslOutput, lslAudience } from './lsl-output.js';

export interface LslDescription {
  /** The summary line; undefined when the output is off. */
  summary: string | undefined;
  /** Each distinct error, with the streams it stops (none: the output's own). */
  errors: { error: WireError; streams: string[] }[];
}

/** What the status of the `lsl` output kind (and its running output, if any) says. */
export function describeLsl(status: OutputStatus | undefined, output: unknown): LslDescription {
  const errors: LslDescription['errors'] = [];
  const add = (error: WireError, stream?: string): void => {
    const same = errors.find((e) => e.error.message === error.message);
    if (same) {
      if (stream !== undefined) same.streams.push(stream);
    } else errors.push({ error, streams: stream !== undefined ? [stream] : [] });
  };
  if (!(output instanceof LslOutput)) {
    if (status?.state === 'error' && status.error) add(status.error);
    return { summary: undefined, errors };
  }
  const s = output.status();
  const streams = output.streams();
  const open = streams.filter((x) => x.uid !== undefined);
  const failed = streams.filter((x) => x.error !== undefined);
  // The output's own error (the discovery socket) is the status error that no stream carries.
  if (s.error && !failed.some((x) => x.error?.message === s.error?.message)) add(s.error);
  for (const x of failed) add(x.error!, x.name);
  if (s.state === 'off' || s.state === 'stopped') return { summary: undefined, errors };
  const host = output.settings.host;
  const who = isLoopback(host) ? `${lslAudience(host)} (${host})` : host === '0.0.0.0' ? `${lslAudience(host)} (${host}; like any LSL outlet, without authentication)` : lslAudience(host);
  const opening = streams.length - open.length - failed.length;
  const list = open.map((x) => `"${x.name}" (${x.type})`).join(', ');
  let what = open.length === 0 ? 'no stream yet' : `${open.length} stream${open.length === 1 ? '' : 's'} — ${list}`;
  if (opening > 0) what += `; ${opening} opening`;
  if (failed.length > 0) what += `; ${failed.length} could not open (below)`;
  if (streams.length === 0) what += ' (a device\'s stream opens when the device streams)';
  return { summary: `LSL on for ${who}: ${what}`, errors };
}

/** The lines for the errors of a description: the message (with the streams it stops), then the hint. */
export function lslErrorLines(d: LslDescription): string[] {
  const lines: string[] = [];
  for (const { error, streams } of d.errors) {
    lines.push(`${error.message.startsWith('LSL') ? '' : 'LSL: '}${error.message}${streams.length > 0 ? ` — stream${streams.length === 1 ? '' : 's'} ${streams.map((n) => `"${n}"`).join(', ')}` : ''}`);
    if (error.hint) lines.push(`  → ${error.hint}`);
  }
  return lines;
}

/** What watchLsl needs of the outputs (OutputsController). */
export interface LslOutputsView {
  status(name: string): OutputStatus | undefined;
  output(name: string): unknown;
  onStatus(listener: (s: OutputStatus) => void): () => void;
}

/**
 * The CLI's LSL lines: `startup()` prints the summary (stdout) and the errors (stderr) once the
 * streams have opened; afterwards every change (turned on or off over /v2, a stream opening or
 * failing) is printed on stderr, a quarter of a second after the changes stop (a device set
 * opening its streams gives one line, not one per stream). `stop()` unsubscribes.
 */
export function watchLsl(outputs: LslOutputsView, print: { out(line: string): void; err(line: string): void }): { startup(): Promise<void>; stop(): void } {
  let summary: string | undefined;
  let shown = new Set<string>();
  let watching = false;
  let timer: NodeJS.Timeout | undefined;
  const now = (): LslDescription => describeLsl(outputs.status('lsl'), outputs.output('lsl'));
  const report = (d: LslDescription, toOut: boolean): void => {
    if (d.summary !== summary) {
      if (d.summary !== undefined) (toOut ? print.out : print.err)(d.summary);
      else if (summary !== undefined) print.err('LSL off');
      summary = d.summary;
    }
    const fresh = d.errors.filter((e) => !shown.has(e.error.message));
    for (const l of lslErrorLines({ summary: d.summary, errors: fresh })) print.err(l);
    shown = new Set(d.errors.map((e) => e.error.message));
  };
  const off = outputs.onStatus((s) => {
    if (s.output !== 'lsl' || !watching) return;
    clearTimeout(timer);
    timer = setTimeout(() => report(now(), false), 250);
    timer.unref();
  });
  return {
    async startup() {
      const o = outputs.output('lsl');
      if (o instanceof LslOutput) await o.settled();
      report(now(), true);
      watching = true;
    },
    stop() {
      clearTimeout(timer);
      off();
    },
  };
}
