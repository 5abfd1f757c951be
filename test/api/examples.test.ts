/**
 * The example clients in examples/ run as child processes against a real service and print
 * samples and gaps. The gap comes from a `state` command, which pauses acquisition briefly.
 * The Python one uses /usr/bin/python3 with Debian's python3-websockets (CI installs it).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN, startServerBit, type Cleanup } from './helpers.js';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0, stdout, stderr });
    });
  });
}

function checkOutput(stdout: string): void {
  const lines = stdout.split('\n');
  expect(lines.find((l) => l.startsWith('hello:'))).toMatch(/ServerBIT .*protocol 2, devices 0, control yes, batch 10/);
  expect(lines.find((l) => l.startsWith('meta:'))).toMatch(/0 simulator \(revolution, BITalino_v5\.2\) 1000 Hz, columns nSeq I1 I2 O1 O2 A1 A2 A3 A4 A5 A6/);
  const data = lines.filter((l) => l.startsWith('data 0 #'));
  expect(data.length).toBeGreaterThan(20);
  // Batches end on multiples of 10 of the index line: the first (joined mid-stream) may be shorter.
  expect(data.some((l) => /\(10 samples\): nSeq=\[\d+(, \d+){9}\] I1=/.test(l))).toBe(true);
  expect(data.every((l) => /\((10|[1-9]) samples\)/.test(l))).toBe(true);
  expect(lines.some((l) => /^gap 0 #\d+\.\.\d+ \(\d+ samples lost\): paused$/.test(l))).toBe(true);
  expect(lines.some((l) => /^reply 1: ok \{"device":"0","state":"streaming","analog":\[/.test(l))).toBe(true);
  expect(stdout).not.toMatch(/WARNING/);
}

describe('example clients', () => {
  it('node examples/node-client.mjs prints samples per message and every gap', async () => {
    const { v2 } = await startServerBit(cleanups);
    const r = await run(process.execPath, ['examples/node-client.mjs', v2, TOKEN, '--batch', '10', '--command', 'state', '--seconds', '1.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    checkOutput(r.stdout);
  });

  it('python3 examples/python_client.py (standard library + websockets) prints the same', async () => {
    const probe = await run('/usr/bin/python3', ['-c', 'import websockets']);
    expect(probe.code, 'python3-websockets is missing: apt-get install -y python3-websockets').toBe(0);
    const { v2 } = await startServerBit(cleanups);
    const r = await run('/usr/bin/python3', ['examples/python_client.py', v2, TOKEN, '--batch', '10', '--command', 'state', '--seconds', '1.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    checkOutput(r.stdout);
  });

  it('both report a refused connection plainly', async () => {
    const node = await run(process.execPath, ['examples/node-client.mjs', 'ws://127.0.0.1:1/v2', '--seconds', '1']);
    expect(node.stderr).toMatch(/connection error: .* \(is ServerBIT running at ws:\/\/127\.0\.0\.1:1\?\)/);
    const py = await run('/usr/bin/python3', ['examples/python_client.py', 'ws://127.0.0.1:1/v2', '--seconds', '1']);
    expect(py.code).toBe(1);
    expect(py.stderr).toMatch(/connection error: .*is ServerBIT running/);
  });
});
