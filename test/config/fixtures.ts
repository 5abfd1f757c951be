/** Config files as the original ServerBITs wrote them (docs/original-serverbit.md §1). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The classic (Python 2.7) first-launch file, byte for byte in spirit: placeholder device. */
export const CLASSIC_ORIGINAL = `{"device": "WINDOWS - XX:XX:XX:XX:XX:XX | MAC - /dev/tty.BITalino-XX-XX-DevB", "channels": [1, 2, 3, 4, 5, 6], "sampling_rate": 1000, "labels": ["nSeq", "I1", "I2", "O1", "O2", "A1", "A2", "A3", "A4", "A5", "A6"], "port": 9001}
`;

/** A classic file a user edited: a real MAC, a channel subset out of order, renamed labels, a key of their own. */
export const CLASSIC_EDITED = `{
    "device": "20:16:07:18:15:26",
    "channels": [6, 1, 2],
    "sampling_rate": 100,
    "labels": ["nSeq", "I1", "I2", "O1", "O2", "EMG", "ECG", "A3", "A4", "A5", "EDA"],
    "port": 9001,
    "my_notes": {"subject": "P07", "session": 3}
}
`;

/** The (r)evolution (Python 3) file: device pairs, 6 labels, OSC and R-IoT keys it alone uses. */
export const REVOLUTION_ORIGINAL = `{
\t"device": [["20:16:07:18:15:26", "bitalino"], ["192.168.1.103", "riot"]],
\t"channels": [1, 2, 6],
\t"sampling_rate": 1000,
\t"buffer_size": 100,
\t"labels": ["EMG", "ECG", "A3", "A4", "A5", "EDA"],
\t"riot_labels": ["ACC_X", "ACC_Y", "ACC_Z", "GYRO_X", "GYRO_Y", "GYRO_Z", "MAG_X", "MAG_Y", "MAG_Z", "TEMP", "IO", "A1", "A2", "C", "Q1", "Q2", "Q3", "Q4", "PITCH", "YAW", "ROLL", "HEAD"],
\t"protocol": "Websockets",
\t"ip_address": "localhost",
\t"port": 8000,
\t"consolidate_outputs": false,
\t"OSC_config": ["192.168.1.100", "8888", "riot", ""]
}
`;

/** An early (r)evolution file: one device string (its placeholder), 11 labels, buffer_size. */
export const REVOLUTION_EARLY = `{
\t"device": "WINDOWS-XX:XX:XX:XX:XX:XX|MAC-/dev/tty.BITalino-XX-XX-DevB",
\t"channels": [1, 2, 6],
\t"sampling_rate": 1000,
\t"buffer_size": 10,
\t"labels": ["nSeq", "I1", "I2", "O1", "O2","A1","A2","A3","A4","A5","A6"],
\t"ip_address": "127.0.0.1",
\t"port": 9001,
\t"protocol": "Websockets"
}
`;

export function tempDir(name = 'serverbit-config-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), name));
}

export interface Snapshot {
  [relPath: string]: { bytes: string; mtimeMs: number; mode: number } | 'dir';
}

/** Every entry under `dir` with its bytes, mtime and mode: "nothing was touched" is snapshot equality. */
export function snapshot(dir: string): Snapshot {
  const out: Snapshot = {};
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out[rel] = 'dir';
        walk(p);
      } else out[rel] = { bytes: fs.readFileSync(p).toString('base64'), mtimeMs: st.mtimeMs, mode: st.mode };
    }
  };
  walk(dir);
  return out;
}
