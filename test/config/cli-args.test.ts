import { describe, expect, it } from 'vitest';
import { applyCliOverrides, CLI_USAGE, parseCliArgs } from '../../src/main/config/cli-args.js';
import { defaultConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';

function fails(argv: string[]): ConfigError {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
}

describe('parseCliArgs', () => {
  it('no flags: nothing to override', () => {
    expect(parseCliArgs([])).toEqual({ help: false, version: false, configPath: undefined, overrides: {} });
  });

  it('reads every flag, with a space or =', () => {
    const args = parseCliArgs(['--config', '/tmp/Jöhn Dœ/config.json', '--device=20:16:07:18:15:26', '--port', '9100', '--host=0.0.0.0', '--rate', '100', '--channels', '6, 1,2']);
    expect(args).toEqual({
      help: false,
      version: false,
      configPath: '/tmp/Jöhn Dœ/config.json',
      overrides: { devices: ['20:16:07:18:15:26'], port: 9100, host: '0.0.0.0', sampling_rate: 100, channels: [1, 2, 6] },
    });
  });

  it('--device may be repeated: several devices for this run, replacing the file\'s, with ids by position', () => {
    const args = parseCliArgs(['--device', 'simulator', '--device=/dev/rfcomm0', '--rate', '100']);
    expect(args.overrides.devices).toEqual(['simulator', '/dev/rfcomm0']);
    const file = { ...defaultConfig(), devices: [{ id: 'left', address: 'COM3', sampling_rate: 1000 as const }], device: 'COM3' };
    const run = applyCliOverrides(file, args.overrides);
    expect(run.devices).toEqual([{ id: '0', address: 'simulator' }, { id: '1', address: '/dev/rfcomm0' }]);
    expect(run.device).toBe('simulator');
    expect(run.sampling_rate).toBe(100);
    // One --device: the classic single device, whatever the file listed.
    const one = applyCliOverrides(file, parseCliArgs(['--device', 'COM9']).overrides);
    expect(one.device).toBe('COM9');
    expect(one.devices).toBeUndefined();
    // --rate applies to every device of the file, over their own rates.
    expect(applyCliOverrides(file, parseCliArgs(['--rate', '10']).overrides).devices).toEqual([{ id: 'left', address: 'COM3' }]);
  });

  it('help and version', () => {
    expect(parseCliArgs(['--help']).help).toBe(true);
    expect(parseCliArgs(['-h']).help).toBe(true);
    expect(parseCliArgs(['--version']).version).toBe(true);
    expect(parseCliArgs(['-v']).version).toBe(true);
    for (const flag of ['--config', '--device', '--port', '--host', '--rate', '--channels', '--help', '--version']) expect(CLI_USAGE).toContain(flag);
  });

  it('the last of a repeated flag wins', () => {
    expect(parseCliArgs(['--port', '1', '--port', '2']).overrides.port).toBe(2);
  });

  it('bad values name the flag and what is allowed', () => {
    const cases: [string[], string, string][] = [
      [['--port', '70000'], 'port', '--port is 70000; allowed: an integer from 1 to 65535.'],
      [['--port', 'abc'], 'port', '--port is "abc"; allowed: an integer from 1 to 65535.'],
      [['--port=9001.5'], 'port', '--port is "9001.5"; allowed: an integer from 1 to 65535.'],
      [['--port', '-1'], 'port', '--port is "-1"; allowed: an integer from 1 to 65535.'],
      [['--rate', '500'], 'sampling_rate', '--rate is 500; allowed: 1, 10, 100 or 1000.'],
      [['--channels', '1,7'], 'channels', '--channels: 7 is not allowed; allowed: a channel number from 1 to 6 (1-based: 1 = A1 … 6 = A6).'],
      [['--channels', '0'], 'channels', '--channels: 0 is not allowed; allowed: a channel number from 1 to 6 (1-based: 1 = A1 … 6 = A6).'],
      [['--channels', '1,1'], 'channels', '--channels has 1 more than once; allowed: a list of 1 to 6 different channel numbers from 1 to 6 (1 = A1 … 6 = A6).'],
      [['--channels', 'A1'], 'channels', '--channels: "A1" is not allowed; allowed: a channel number from 1 to 6 (1-based: 1 = A1 … 6 = A6).'],
      [['--device', ''], 'device', '--device is ""; allowed: "simulator", a MAC address'],
      [['--host', ''], 'host', '--host is ""; allowed: an address to listen on'],
    ];
    for (const [argv, key, message] of cases) {
      const error = fails(argv);
      expect(error.code, argv.join(' ')).toBe('CONFIG_INVALID_VALUE');
      expect(error.key, argv.join(' ')).toBe(key);
      expect(error.message, argv.join(' ')).toContain(message);
      expect(error.hint).toMatch(/serverbit --help/);
    }
  });

  it('a flag without its value', () => {
    expect(fails(['--port']).message).toBe('--port needs a value.');
    expect(fails(['--port', '--host', 'x']).message).toBe('--port needs a value.');
    expect(fails(['--config=']).message).toBe('--config needs a file path.');
  });

  it('unknown flags and stray arguments', () => {
    expect(fails(['--prot', '9001']).message).toBe('Unknown option --prot.');
    expect(fails(['--port-number=1']).message).toBe('Unknown option --port-number.');
    expect(fails(['-p']).message).toBe('Unknown option -p.');
    expect(fails(['9001']).message).toBe('Unexpected argument "9001": serverbit takes only options.');
  });
});

describe('applyCliOverrides', () => {
  const loaded = { ...defaultConfig(), token: 'tok-0123456789abcdef', channels: [1, 2] };

  it('overrides only what was given and keeps the rest', () => {
    const merged = applyCliOverrides(loaded, parseCliArgs(['--port', '9100', '--channels', '3,1']).overrides);
    expect(merged).toEqual({ ...loaded, port: 9100, channels: [1, 3] });
    expect(loaded.port).toBe(9001);
  });

  it('validates the result', () => {
    expect(() => applyCliOverrides(loaded, { port: 0 })).toThrow(/port is 0; allowed: an integer from 1 to 65535/);
  });
});
