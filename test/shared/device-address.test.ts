/**
 * The remote device address (src/shared/device-address.ts, docs/mqtt.md "A remote device in the
 * device list"): the forms it takes, the malformed ones refused with what to change, and a
 * password that never appears in a message, the display form, a config issue, the service's
 * error or the window's field message. The window's check (src/renderer/address.ts) uses the same
 * parser; the service's classifyAddress too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/shared/config-schema.js';
import { defaultConfig } from '../../src/shared/config.js';
import { displayAddress, isRemoteAddress, parseRemoteAddress, redactAddress, remoteAddressIssues } from '../../src/shared/device-address.js';
import { classifyAddress } from '../../src/main/devices/ports.js';
import { addressKind, addressProblem } from '../../src/renderer/address.js';

const ok = (text: string) => {
  const p = parseRemoteAddress(text);
  if (!p.ok) throw new Error(`expected ${text} to parse: ${p.problem}`);
  return p.value;
};
const problem = (text: string) => {
  const p = parseRemoteAddress(text);
  if (p.ok) throw new Error(`expected ${text} to be refused`);
  return p.problem;
};

describe('parseRemoteAddress: the forms', () => {
  it('reads the broker, the credentials, the publisher prefix and the device id', () => {
    expect(ok('mqtt://broker.local:1883/serverbit/lab-pc/dev1')).toEqual({
      protocol: 'mqtt',
      host: 'broker.local',
      port: 1883,
      prefix: 'serverbit/lab-pc',
      device: 'dev1',
      broker: 'mqtt://broker.local:1883',
      display: 'mqtt://broker.local:1883/serverbit/lab-pc/dev1',
    });
    expect(ok('mqtts://lab:s3cret@broker.example.org/serverbit/lab-pc/0')).toMatchObject({
      protocol: 'mqtts',
      port: 8883,
      username: 'lab',
      password: 's3cret',
      display: 'mqtts://broker.example.org:8883/serverbit/lab-pc/0',
    });
    expect(ok('MQTT://10.0.0.5/lab/0')).toMatchObject({ protocol: 'mqtt', host: '10.0.0.5', port: 1883, prefix: 'lab', device: '0' });
    expect(ok('mqtt://[::1]:1884/a/b/c/lab-pc.0')).toMatchObject({ host: '::1', port: 1884, prefix: 'a/b/c', device: 'lab-pc.0', broker: 'mqtt://[::1]:1884' });
    // Credentials may be %-escaped (an "@" or ":" in a password); a user name alone is allowed.
    expect(ok('mqtt://me%40lab:p%3Aw%40rd@h/serverbit/x/0')).toMatchObject({ username: 'me@lab', password: 'p:w@rd' });
    expect(ok('mqtt://reader@h/serverbit/x/0')).toMatchObject({ username: 'reader' });
    expect(ok('mqtt://reader@h/serverbit/x/0').password).toBeUndefined();
    expect(ok('  mqtt://h/p/0  ').device).toBe('0');
  });

  it('says which addresses are meant as remote ones', () => {
    expect(isRemoteAddress('mqtt://x')).toBe(true);
    expect(isRemoteAddress('MQTTS://x')).toBe(true);
    for (const a of ['simulator', 'ws://h:1/p/0', 'riot:8888/0', 'file:/x.txt', '/dev/rfcomm0', 'mqtt:/h/p/0']) expect(isRemoteAddress(a), a).toBe(false);
  });
});

describe('parseRemoteAddress: malformed forms name what to change', () => {
  const cases: [string, RegExp][] = [
    ['mqtt://broker.local:1883', /names no device: add the publisher's topic prefix and the device id/],
    ['mqtt://broker.local:1883/', /names no device/],
    ['mqtt://broker.local/dev1', /names only "dev1": add the publisher's topic prefix before the device id, e\.g\. …\/serverbit\/lab-pc\/dev1/],
    ['mqtt://broker.local/serverbit/lab-pc/0/data', /ends with "\/data", one of a device's topics: end the address with the device id/],
    ['mqtt://broker.local/serverbit/+/0', /"\+", "#" or a NUL in a topic level: .*no wildcards/],
    ['mqtt://broker.local/serverbit/#', /"\?" or "#"|no wildcards/],
    ['mqtt://broker.local/serverbit//0', /an empty topic level/],
    ['mqtt://broker.local/serverbit/lab-pc/', /an empty topic level/],
    ['mqtt://broker.local/serverbit/lab pc/0', /a space/],
    ['mqtt://broker.local/serverbit/lab-pc/0?token=abc', /"\?"/],
    ['mqtt://broker.local:0/serverbit/lab-pc/0', /the port "0"; allowed: 1 to 65535 \(default 1883\)/],
    ['mqtts://broker.local:70000/serverbit/lab-pc/0', /the port "70000"; allowed: 1 to 65535 \(default 8883\)/],
    ['mqtt://broker.local:x/serverbit/lab-pc/0', /the port "x"/],
    ['mqtt:///serverbit/lab-pc/0', /names no broker/],
    ['mqtt://bad_host!/serverbit/lab-pc/0', /the host "bad_host!", which is not a host name or an IP address/],
    ['mqtt://300.1.1.1/serverbit/lab-pc/0', /the host "300\.1\.1\.1"/],
    ['mqtt://[::1/serverbit/lab-pc/0', /"\[" without "\]"/],
    ['mqtt://@broker/serverbit/lab-pc/0', /"@" but no user name/],
    ['mqtt://u:%zz@broker/serverbit/lab-pc/0', /not a %XX escape/],
    [`mqtt://broker/serverbit/${'x'.repeat(40)}`, /not a device id; allowed: 1 to 32 letters/],
    [`mqtt://broker/${'p/'.repeat(110)}0`, /topic prefix of \d+ characters; allowed: at most 200/],
    [`mqtt://broker/${'p'.repeat(300)}/0`, /at most 256/],
  ];
  it.each(cases)('%s', (text, why) => {
    expect(problem(text)).toMatch(why);
  });

  it('every problem quotes the address without its password', () => {
    const secret = 'Hunter2-secret';
    for (const [text] of cases) {
      const withPw = text.replace('mqtt://', `mqtt://me:${secret}@`).replace('mqtts://', `mqtts://me:${secret}@`);
      const p = parseRemoteAddress(withPw);
      if (p.ok) continue;
      expect(p.problem, withPw).not.toContain(secret);
    }
    expect(problem(`mqtt://me:${secret}@broker/dev1`)).toContain('"mqtt://me:***@broker/dev1"');
  });
});

describe('a password is never shown', () => {
  // Passwords of any printable characters, %-escaped as a URL needs them.
  const password = fc.string({ minLength: 6, maxLength: 30, unit: fc.constantFrom(...'abcXYZ019-_.~!$&\'()*+,;=:@/?# %'.split('')) }).filter((p) => /[A-Za-z0-9]{3}/.test(p));
  const tail = fc.constantFrom('/serverbit/lab-pc/0', '/a/0/data', '/serverbit', '', '/x/+/0', ':99999/a/b', '/a b/c');

  it('not by the parser, the display form, a redaction, the service or the window', () => {
    fc.assert(
      fc.property(password, tail, (pw, rest) => {
        const address = `mqtt://lab:${encodeURIComponent(pw)}@broker.local${rest}`;
        const escaped = encodeURIComponent(pw);
        const never = (s: string | undefined) => {
          if (s === undefined) return;
          expect(s).not.toContain(pw);
          expect(s).not.toContain(escaped);
        };
        const p = parseRemoteAddress(address);
        if (p.ok) {
          expect(p.value.password).toBe(pw);
          never(p.value.display);
          never(p.value.broker);
        } else never(p.problem);
        never(redactAddress(address));
        never(displayAddress(address));
        never(addressProblem(address));
        for (const i of remoteAddressIssues(address, [{ address }])) never(i.message);
        try {
          classifyAddress(address);
        } catch (e) {
          never((e as Error).message);
          never((e as { hint?: string }).hint);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the config, the service and the window read it the same way', () => {
  it('the config validator refuses a malformed remote address, naming the key and the form', () => {
    const c = { ...defaultConfig(), token: 'a'.repeat(32), devices: [{ id: '0', address: 'simulator' }, { id: 'lab', address: 'mqtt://u:pw123456@h/serverbit' }] };
    const issues = validateConfig(c);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('devices[1].address');
    expect(issues[0].message).toMatch(/^devices\[1\]\.address: "mqtt:\/\/u:\*\*\*@h\/serverbit" names only "serverbit": add the publisher's topic prefix before the device id.*; allowed: a device published to an MQTT broker/);
    expect(validateConfig({ ...c, devices: [c.devices[0], { id: 'lab', address: 'mqtt://h/serverbit/lab-pc/0' }] })).toEqual([]);
    const { devices: _devices, ...single } = c;
    expect(validateConfig({ ...single, device: 'mqtt://h:0/a/b' })).toEqual([expect.objectContaining({ path: 'device', message: expect.stringContaining('has the port "0"') })]);
  });

  it('classifyAddress: kind "remote" with the parsed address; DEVICE_BAD_ARGUMENT with the form as hint', () => {
    expect(classifyAddress('mqtt://h/serverbit/lab-pc/0')).toEqual({ kind: 'remote', remote: ok('mqtt://h/serverbit/lab-pc/0') });
    expect(() => classifyAddress('mqtt://h/0')).toThrow(expect.objectContaining({ code: 'DEVICE_BAD_ARGUMENT', hint: expect.stringMatching(/^Use a device published to an MQTT broker/) }));
  });

  it('the window accepts the form as you type and says what is wrong with a malformed one', () => {
    expect(addressKind('mqtt://broker.local:1883/serverbit/lab-pc/0')).toBe('remote');
    expect(addressProblem('mqtt://broker.local:1883/serverbit/lab-pc/0')).toBeUndefined();
    expect(addressProblem('mqtt://broker.local:1883')).toMatch(/names no device: .* A remote device looks like mqtt:\/\/broker\.local:1883\/serverbit\/lab-pc\/0/);
    // The other forms the service takes, which the field refused before.
    expect(addressKind('riot:8888/0')).toBe('riot');
    expect(addressKind('file:/home/me/rec.txt')).toBe('file');
    expect(addressProblem('riot:99999/0')).toMatch(/is not an R-IoT address; allowed: an R-IoT address/);
    expect(addressProblem('hello world')).toMatch(/mqtt:\/\/broker\.local:1883\/serverbit\/lab-pc\/0/);
  });
});
