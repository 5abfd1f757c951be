import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLY_BUDGET, UdpResponder } from '../../../src/main/outputs/lsl/udp-responder.js';
import { sendDatagram, udpListener, waitFor } from './helpers.js';

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function responder(now: () => number): Promise<{ r: UdpResponder; port: number }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((res) => socket.bind(0, '127.0.0.1', res));
  const r = new UdpResponder(socket, () => [{ shortinfo: '<info/>', fields: { type: 'EEG' } }], true, () => 1.5, undefined, now);
  return { r, port: socket.address().port };
}

describe('UdpResponder reply budget', () => {
  it('answers at most REPLY_BUDGET.shortinfo queries per second, drops and counts the rest, and answers again next second', async () => {
    let t = 1_000_000;
    const { r, port } = await responder(() => t);
    const l = await udpListener();
    const n = REPLY_BUDGET.shortinfo + 50;
    for (let q = 0; q < n; q++) {
      await sendDatagram(port, `LSL:shortinfo\r\ntype='EEG'\r\n${l.port} ${q}\r\n`);
      if (q % 20 === 19) await waitFor(() => r.counters.answered + r.counters.throttled === q + 1, 'the burst to be handled');
    }
    await waitFor(() => r.counters.answered + r.counters.throttled === n, 'every query handled');
    expect(r.counters).toMatchObject({ answered: REPLY_BUDGET.shortinfo, throttled: 50 });
    t += 1000;
    await sendDatagram(port, `LSL:shortinfo\r\ntype='EEG'\r\n${l.port} later\r\n`);
    await waitFor(() => r.counters.answered === REPLY_BUDGET.shortinfo + 1, 'an answer in the next window');
    await waitFor(() => l.received.some((m) => m.msg.toString().startsWith('later\r\n')), 'the reply');
    await l.close();
  });

  it('budgets time probes separately', async () => {
    const { r, port } = await responder(() => 5);
    const l = await udpListener();
    for (let q = 0; q < 10; q++) await sendDatagram(port, `LSL:timedata\r\n${q} 1.0\r\n`, l.socket);
    await waitFor(() => r.counters.timeProbes === 10, 'ten time replies');
    expect(r.counters.throttled).toBe(0);
    await l.close();
  });
});
