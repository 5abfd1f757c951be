import { describe, expect, it } from 'vitest';
import { formatG } from '../../../src/main/outputs/lsl/c-format.js';

// Expected strings printed by C's printf("%.16g") and printf("%#.16g") (Python's % operator, which
// calls the C library), i.e. what liblsl's iostreams write with setprecision(16) [and showpoint].
const C_TABLE: [number, string, string][] = [
  [1000, '1000', '1000.000000000000'],
  [0.5, '0.5', '0.5000000000000000'],
  [1e-7, '1e-07', '1.000000000000000e-07'],
  [0, '0', '0.000000000000000'],
  [-0, '-0', '-0.000000000000000'],
  [1.1, '1.1', '1.100000000000000'],
  [123456.789, '123456.789', '123456.7890000000'],
  [1e16, '1e+16', '1.000000000000000e+16'],
  [1e15, '1000000000000000', '1000000000000000.'],
  [9.9999999999999995, '10', '10.00000000000000'],
  [1e-4, '0.0001', '0.0001000000000000000'],
  [1e-5, '1e-05', '1.000000000000000e-05'],
  [2186.330559045, '2186.330559045', '2186.330559045000'],
  [1674.232160465, '1674.232160465', '1674.232160465000'],
  [1e21, '1e+21', '1.000000000000000e+21'],
  [-3.25, '-3.25', '-3.250000000000000'],
  [123456789012345678, '1.234567890123457e+17', '1.234567890123457e+17'],
  [5e-324, '4.940656458412465e-324', '4.940656458412465e-324'],
  [1.7976931348623157e308, '1.797693134862316e+308', '1.797693134862316e+308'],
  [0.1, '0.1', '0.1000000000000000'],
  [100, '100', '100.0000000000000'],
  [2 ** 53, '9007199254740992', '9007199254740992.'],
];

describe('formatG (C++ iostream number text)', () => {
  it.each(C_TABLE)('%s → %s / %s', (value, plain, showpoint) => {
    expect(formatG(value)).toBe(plain);
    expect(formatG(value, 16, true)).toBe(showpoint);
  });

  it('prints non-finite values as C does', () => {
    expect(formatG(Infinity)).toBe('inf');
    expect(formatG(-Infinity)).toBe('-inf');
    expect(formatG(NaN)).toBe('nan');
  });
});
