import { it } from 'vitest';
import { normalizeConfigFile } from '../src/shared/config-schema.js';
it('x', () => {
  const deep = (n: number) => { let s = '0'; s = '['.repeat(n) + s + ']'.repeat(n); return s; };
  for (const key of ['channels', 'labels', 'device', 'sensors', 'devices', 'allowed_origins']) {
    const text = `{"${key}": ${deep(200000)}}`;
    const t = performance.now();
    let r; try { r = normalizeConfigFile(JSON.parse(text)); } catch (e) { r = 'THREW ' + e; }
    console.log('PROBE', key, (performance.now() - t).toFixed(1), JSON.stringify(r).slice(0, 200));
  }
});
