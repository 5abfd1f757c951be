import { it, expect } from 'vitest';
import { SerialTransport } from '/work/main/src/main/devices/serial-transport.js';
import { ptyPair } from '/work/main/test/helpers/pty.js';

it('stress disconnect', async () => {
  let failures = 0;
  for (let i = 0; i < 150; i++) {
    const pty = await ptyPair();
    const t = new SerialTransport(pty.a);
    const closes: unknown[] = [];
    t.onClose((e) => closes.push(e));
    await t.open();
    await pty.killSocat();
    const t0 = Date.now();
    while (closes.length === 0 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
    if (closes.length === 0) { failures++; console.error('iteration', i, 'no close; isOpen', t.isOpen); }
    await t.close();
    await pty.close();
  }
  expect(failures).toBe(0);
}, 300_000);
