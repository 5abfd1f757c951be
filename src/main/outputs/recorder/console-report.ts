/**
 * What the headless CLI prints about the recording (docs/recording.md "From the command line"):
 * where the files go when it starts, and on stderr when it stops, with the error and its hint
 * when it stopped on one (disk full, folder removed…), so a user watching the terminal knows the
 * recording is over while acquisition goes on.
 */
import { basename } from 'node:path';
import type { OutputState } from '../output.js';
import type { RecordingController } from './controller.js';
import { formatBytes, formatElapsed, type RecordingSummary } from './recorder.js';

export interface ConsoleSinks {
  /** Start-up output (stdout). */
  out: (line: string) => void;
  /** Changes later on (stderr). */
  err: (line: string) => void;
}

/** "Recording to /x (txt, h5) until ServerBIT stops: a.txt, a.h5, a.events.json". */
export function recordingStartLine(s: RecordingSummary): string {
  const names = s.files.map((f) => basename(f));
  const files = names.length > 0 ? names.join(', ') : 'files are created as each device starts streaming';
  return `Recording to ${s.folder} (${s.formats.join(', ')}) until ServerBIT stops: ${files}`;
}

export function recordingStopLines(s: RecordingSummary, elapsedMs: number): string[] {
  const what = `${formatElapsed(elapsedMs)}, ${s.samples} samples, ${formatBytes(s.bytes)} in ${s.files.length} file${s.files.length === 1 ? '' : 's'} in ${s.folder}`;
  if (s.state === 'error' && s.error) {
    return [`recording stopped on an error: ${s.error.message}`, ...(s.error.hint ? [`  → ${s.error.hint}`] : []), `  Acquisition and the other outputs go on; the files so far (${what}) stay valid.`];
  }
  return [`recording stopped: ${what}`];
}

/**
 * Follows the recording: call `announce()` once the start-up lines are printed (the recording
 * from launch, `--record` or `record.on_launch`, is reported there with its files or why it did
 * not start); after that every start and stop is reported on stderr. Returns the unsubscribe.
 */
export function followRecording(controller: RecordingController, sinks: ConsoleSinks): { announce(): void; close(): void } {
  let announced = false;
  let last: OutputState | undefined;
  const off = controller.onStatus((st) => {
    const prev = last;
    last = st.state;
    if (!announced || prev === st.state) return;
    const s = controller.summary();
    if (!s) return;
    if (st.state === 'running' && prev !== 'running') sinks.err(recordingStartLine(s));
    if (st.state === 'stopped' || st.state === 'error') for (const l of recordingStopLines(s, controller.recorder?.elapsedMs() ?? 0)) sinks.err(l);
  });
  return {
    announce() {
      announced = true;
      const rec = controller.recorder;
      if (!rec) return;
      const s = rec.summary();
      last = s.state;
      if (s.state === 'running') sinks.out(recordingStartLine(s));
      else if (s.state === 'error' && s.error) {
        sinks.err(`recording: not started — ${s.error.message}`);
        if (s.error.hint) sinks.err(`  → ${s.error.hint}`);
      }
    },
    close: off,
  };
}
