#!/usr/bin/env node
// A /v2 client for Node: prints every data message (its samples), every gap, status changes and
// command replies. Protocol: docs/protocol.md. Needs the `ws` package (npm install ws).
//
//   node examples/node-client.mjs [url] [token] [options]
//
//   url                ws://127.0.0.1:9001/v2 by default
//   token              the control token (serverbit --show-token); only needed for commands
//   --batch N          samples per message (1..1000)
//   --columns A,B      columns to receive, e.g. nSeq,A1,A2
//   --format F         raw (default), converted or both
//   --command NAME     send one command once streaming (e.g. state, list_ports) and print its reply
//   --seconds S        exit after S seconds (default: run until Ctrl-C)
//
// It also checks what the protocol promises: indices run on without holes, and every loss is
// announced by a gap message.
import WebSocket from 'ws';

const args = process.argv.slice(2);
const positional = [];
const opts = {};
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) opts[args[i].slice(2)] = args[++i];
  else positional.push(args[i]);
}
const url = new URL(positional[0] ?? 'ws://127.0.0.1:9001/v2');
const token = positional[1];
if (token) url.searchParams.set('token', token);
for (const k of ['batch', 'columns', 'format']) if (opts[k] !== undefined) url.searchParams.set(k, opts[k]);

const shown = (values) => (values.length > 12 ? `[${values.slice(0, 12).join(', ')}, … ${values.length - 12} more]` : `[${values.join(', ')}]`);
/** Where each device's next index should start; a jump that no gap explained would be a silent loss. */
const expected = new Map();
let commandSent = false;

const ws = new WebSocket(url);

ws.on('open', () => console.log(`connected to ${url.origin}${url.pathname}`));
ws.on('message', (text) => {
  const m = JSON.parse(text.toString());
  switch (m.type) {
    case 'hello':
      console.log(`hello: ${m.server} ${m.version}, protocol ${m.protocol}, devices ${m.devices.join(', ')}, control ${m.control ? 'yes' : 'no'}, batch ${m.subscription.batch}, format ${m.subscription.format}`);
      break;
    case 'meta':
      console.log(`meta: ${m.device} ${m.name} (${m.board ?? m.kind}, ${m.firmware}) ${m['sampling rate']} Hz, columns ${m.column.join(' ')}, sensors ${m.sensor.join(' ')}, t0 ${m.date} ${m.time}`);
      break;
    case 'status':
      console.log(`status: ${m.device} ${m.state}${m.error ? ` — ${m.error.code}: ${m.error.message}` : ''} (frames ${m.counters.frames}, gaps ${m.counters.gaps}, CRC errors ${m.counters.crcErrors})`);
      break;
    case 'server':
      console.log(`server: ${m.clients} clients, devices ${m.devices.join(', ')}`);
      break;
    case 'marker':
      console.log(`marker ${m.device ?? 'all devices'}: ${m.label}`);
      break;
    case 'data': {
      const next = expected.get(m.device);
      if (next !== undefined && m.index !== next) console.log(`WARNING: ${m.device} jumped from ${next} to ${m.index} without a gap message`);
      expected.set(m.device, m.index + m.count);
      const cols = { ...(m.raw ?? {}), ...Object.fromEntries(Object.entries(m.converted ?? {}).map(([k, v]) => [`${k}(conv)`, v])) };
      console.log(`data ${m.device} #${m.index}..${m.index + m.count - 1} (${m.count} samples): ${Object.entries(cols).map(([k, v]) => `${k}=${shown(v)}`).join(' ')}`);
      if (opts.command && !commandSent) {
        commandSent = true;
        ws.send(JSON.stringify({ type: 'command', id: 1, command: opts.command }));
      }
      break;
    }
    case 'gap':
      if (expected.has(m.device)) expected.set(m.device, m.to);
      console.log(`gap ${m.device} #${m.from}..${m.to - 1} (${m.to - m.from} samples lost): ${m.reason}`);
      break;
    case 'reply':
      console.log(m.ok ? `reply ${m.id}: ok ${JSON.stringify(m.result)}` : `reply ${m.id}: error ${m.error.code}: ${m.error.message}${m.error.hint ? ` (${m.error.hint})` : ''}`);
      break;
  }
});
ws.on('unexpected-response', (_req, res) => {
  console.error(`refused: HTTP ${res.statusCode} (a browser page needs its origin in "allowed_origins")`);
  process.exitCode = 1;
});
ws.on('error', (err) => {
  console.error(`connection error: ${err.message} (is ServerBIT running at ${url.origin}?)`);
  process.exitCode = 1;
});
ws.on('close', (code, reason) => console.log(`closed: ${code} ${reason.toString()}`.trim()));

const stop = () => ws.close(1000, 'bye');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (opts.seconds !== undefined) setTimeout(stop, Number(opts.seconds) * 1000);
