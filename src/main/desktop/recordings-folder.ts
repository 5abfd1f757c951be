/**
 * "Open folder" in the window and the tray (docs/recording.md "From the window and the tray"):
 * which folder the desktop app opens. The window only names the action (src/shared/api.ts
 * DesktopRequest), never a path, so a page cannot make the app open anything else: the folder is
 * the current (or last) recording's, else the one the config's `record.folder` gives (default
 * ~/ServerBIT/recordings). src/main/electron/main.ts passes the facts and shell.openPath.
 */
import path from 'node:path';
import type { WireError } from '../../shared/acquisition.js';
import { RecordingError, ServerBitError } from '../../shared/errors.js';
import type { RecordingResult } from '../../shared/v2.js';

export interface FolderFacts {
  /** The current or last recording (RecordingController.summary()). */
  recording: Pick<RecordingResult, 'folder'> | undefined;
  /** The folder the next recording would use (the config's `record.folder`, resolved). */
  configured: string;
  /** Whether a folder exists (fs.statSync(p).isDirectory()). */
  isFolder: (p: string) => boolean;
}

export type FolderDecision = { ok: true; folder: string } | { ok: false; error: WireError & { code: 'RECORDING_FOLDER_MISSING' } };

export function recordingsFolderToOpen(f: FolderFacts): FolderDecision {
  const folder = f.recording?.folder ?? f.configured;
  if (!path.isAbsolute(folder)) return { ok: false, error: { code: 'RECORDING_FOLDER_MISSING', message: `the recordings folder "${folder}" is not an absolute path`, hint: 'Set "record.folder" to an absolute folder (or one under ~/) in Settings or the config file.' } };
  if (!f.isFolder(folder)) {
    return { ok: false, error: { code: 'RECORDING_FOLDER_MISSING', message: `${folder} does not exist yet`, hint: 'ServerBIT creates it when a recording starts: press Record first.' } };
  }
  return { ok: true, folder };
}

/** What the app does for the window's `open_recordings_folder`: decide, then open with `openPath` (shell.openPath: "" on success, else why not). */
export async function openRecordingsFolder(f: FolderFacts, openPath: (p: string) => Promise<string>): Promise<{ folder: string }> {
  const d = recordingsFolderToOpen(f);
  if (!d.ok) throw new RecordingError(d.error.code, d.error.message, d.error.hint);
  const failure = await openPath(d.folder);
  if (failure) throw new ServerBitError('INTERNAL', `could not open ${d.folder}: ${failure}`, 'Open the folder in your file manager.');
  return { folder: d.folder };
}
