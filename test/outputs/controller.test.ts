/**
 * The outputs controller: outputs follow the config (started, closed, restarted when their
 * settings change), each on its own, and a failing output shows in its status without stopping
 * the others. The outputs here are small real implementations of the Output contract.
 */
import { describe, expect, it } from 'vitest';
import { OutputsController, type OutputKind } from '../../src/main/outputs/controller.js';
import type { Output, OutputStatus } from '../../src/main/outputs/output.js';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';
import { ConfigError, ServerBitError } from '../../src/shared/errors.js';

class CountingOutput implements Output {
  state: OutputStatus['state'] = 'off';
  private readonly listeners = new Set<(s: OutputStatus) => void>();
  constructor(
    readonly name: string,
    readonly settings: unknown,
    private readonly log: string[],
    private readonly fail = false,
  ) {}
  async start(): Promise<void> {
    this.log.push(`start ${this.name} ${JSON.stringify(this.settings)}`);
    if (this.fail) throw new ServerBitError('LISTEN_FAILED', `${this.name} cannot bind`, 'Choose another port.');
    this.state = 'running';
    for (const l of this.listeners) l(this.status());
  }
  async close(): Promise<void> {
    this.log.push(`close ${this.name}`);
    this.state = 'stopped';
  }
  status(): OutputStatus {
    return { output: this.name, state: this.state, counters: { n: 1 } };
  }
  onStatus(l: (s: OutputStatus) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

function kinds(log: string[]): OutputKind[] {
  return [
    { name: 'osc', settings: (c: ServerBitConfig) => (c.osc?.enabled ? { port: c.osc.port ?? 9000 } : undefined), create: (s) => new CountingOutput('osc', s, log) },
    { name: 'lsl', settings: (c: ServerBitConfig) => (c.lsl?.enabled ? {} : undefined), create: (s) => new CountingOutput('lsl', s, log, true) },
    {
      name: 'mqtt',
      settings: (c: ServerBitConfig) => {
        if (!c.mqtt?.enabled) return undefined;
        if (typeof c.mqtt.url !== 'string') throw new ConfigError('CONFIG_INVALID_VALUE', 'mqtt.url is missing', 'mqtt.url', 'Set "url".');
        return { url: c.mqtt.url };
      },
      create: (s) => new CountingOutput('mqtt', s, log),
    },
  ];
}

describe('OutputsController', () => {
  it('starts what the config turns on, restarts what changed, closes what was turned off; the others are left alone', async () => {
    const log: string[] = [];
    const c = new OutputsController(kinds(log));
    const base = defaultConfig();
    expect(c.statuses().map((s) => s.state)).toEqual(['off', 'off', 'off']);
    await c.apply({ ...base, osc: { enabled: true } });
    expect(log).toEqual(['start osc {"port":9000}']);
    expect(c.status('osc')?.state).toBe('running');
    await c.apply({ ...base, osc: { enabled: true } }); // same settings: nothing happens
    expect(log).toHaveLength(1);
    await c.apply({ ...base, osc: { enabled: true, port: 9100 } });
    expect(log.slice(1)).toEqual(['close osc', 'start osc {"port":9100}']);
    await c.apply(base);
    expect(log.slice(3)).toEqual(['close osc']);
    expect(c.status('osc')?.state).toBe('off');
    await c.close();
  });

  it('an output that cannot start is in "error" with the reason, and the others run; a bad setting too', async () => {
    const log: string[] = [];
    const c = new OutputsController(kinds(log));
    const seen: string[] = [];
    c.onStatus((s) => seen.push(`${s.output}:${s.state}`));
    await c.apply({ ...defaultConfig(), osc: { enabled: true }, lsl: { enabled: true }, mqtt: { enabled: true } });
    expect(c.status('osc')?.state).toBe('running');
    expect(c.status('lsl')).toMatchObject({ state: 'error', error: { code: 'LISTEN_FAILED', message: 'lsl cannot bind', hint: 'Choose another port.' } });
    expect(c.status('mqtt')).toMatchObject({ state: 'error', error: { code: 'CONFIG_INVALID_VALUE', message: 'mqtt.url is missing' } });
    expect(log).toContain('close lsl'); // a failed start is closed again
    expect(seen).toEqual(expect.arrayContaining(['osc:running', 'lsl:error', 'mqtt:error']));
    await c.close();
    expect(c.status('osc')?.state).toBe('off');
  });
});
