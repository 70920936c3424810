import { describe, expect, it } from 'vitest';
import { CrilogError, InvalidOptionError, showValue } from '../errors/crilog-error.js';
import { parseQuantity, parseQuantityBigInt } from './quantity.js';

const Ki = 1024n;
const Mi = Ki * Ki;
const Gi = Mi * Ki;
const Ti = Gi * Ki;
const Pi = Ti * Ki;
const Ei = Pi * Ki;
const MAX = (1n << 63n) - 1n;

/** Failure kinds, matched against the message so each says what is wrong. */
const FAIL = {
  format: /it is not a number with an optional suffix/,
  empty: /it is empty/,
  suffix: /unknown suffix/,
  digits: /it has no digits/,
  fraction: /it is not a whole number of bytes; use an integer/,
  large: /it is too large/,
} as const;
type Fail = keyof typeof FAIL | { form: string };

// Inputs from upstream's TestQuantityParse table, with the result the kubelet gets after
// AsInt64: an int64 amount at scale >= 0 converts; a negative scale or an inf.Dec does not.
const upstreamTable: [string, bigint | Fail][] = [
  ['0', 0n],
  ['0n', { form: '0' }],
  ['0u', { form: '0' }],
  ['0m', { form: '0' }],
  ['0Ki', 0n],
  ['0k', 0n],
  ['0Mi', 0n],
  ['0M', 0n],
  ['0Gi', 0n],
  ['0G', 0n],
  ['0Ti', 0n],
  ['0T', 0n],
  ['1', 1n],
  ['1Ki', Ki],
  ['8Ki', 8n * Ki],
  ['7Mi', 7n * Mi],
  ['6Gi', 6n * Gi],
  ['5Ti', 5n * Ti],
  ['4Pi', { form: (4n * Pi).toString() }], // Pi/Ei always take the inf.Dec path
  ['3Ei', { form: (3n * Ei).toString() }],
  ['10Ti', 10n * Ti],
  ['100Ti', { form: (100n * Ti).toString() }], // 3 digits + Ti exceeds the fast-path precision
  ['5n', 'fraction'],
  ['4u', 'fraction'],
  ['3m', 'fraction'],
  ['9', 9n],
  ['8k', 8000n],
  ['50k', 50000n],
  ['7M', 7_000_000n],
  ['6G', 6_000_000_000n],
  ['5T', 5n * 10n ** 12n],
  ['40T', 4n * 10n ** 13n],
  ['300T', 3n * 10n ** 14n],
  ['2P', 2n * 10n ** 15n],
  ['1E', 10n ** 18n],
  ['1E-3', 'fraction'],
  ['1e3', 1000n],
  ['1E6', 10n ** 6n],
  ['1e9', 10n ** 9n],
  ['1E12', 10n ** 12n],
  ['1e15', 10n ** 15n],
  ['1E18', 10n ** 18n],
  ['1e14', 10n ** 14n],
  ['1e13', 10n ** 13n],
  ['100.035k', 100035n],
  ['0.001', 'fraction'],
  ['0.0005k', 'fraction'],
  ['0.005', 'fraction'],
  ['0.05', 'fraction'],
  ['0.5', 'fraction'],
  ['0.00050k', 'fraction'],
  ['0.00500', 'fraction'],
  ['0.05000', 'fraction'],
  ['0.50000', 'fraction'],
  ['0.5e0', 'fraction'],
  ['0.5e-1', 'fraction'],
  ['0.5e-2', 'fraction'],
  ['10.035M', 10_035_000n],
  ['1.2e3', 1200n],
  ['1.3E+6', 1_300_000n],
  ['1.40e9', 1_400_000_000n],
  ['1.53E12', 153n * 10n ** 10n],
  ['1.6e15', 16n * 10n ** 14n],
  ['1.7E18', 17n * 10n ** 17n],
  ['9.01', 'fraction'],
  ['8.1k', 8100n],
  ['7.123456M', 7_123_456n],
  ['6.987654321G', 6_987_654_321n],
  ['5.444T', 5444n * 10n ** 9n],
  ['40.1T', 401n * 10n ** 11n],
  ['300.2T', 3002n * 10n ** 11n],
  ['2.5P', 25n * 10n ** 14n],
  ['1.01E', 101n * 10n ** 16n],
  ['3.001n', 'fraction'],
  ['1.1E-9', 'fraction'],
  ['0.0000000001', 'fraction'],
  ['0.0000000005', 'fraction'],
  ['0.00000000050', 'fraction'],
  ['0.5e-9', 'fraction'],
  ['0.9n', 'fraction'],
  ['0.00000012345', 'fraction'],
  ['0.00000012354', 'fraction'],
  ['9Ei', 'large'],
  ['9223372036854775807Ki', 'large'],
  ['12E', 'large'],
  ['100.035Ki', 'fraction'],
  ['0.5Mi', { form: '524288' }], // whole, but a binary suffix with a fraction goes to inf.Dec
  ['0.05Gi', 'fraction'],
  ['0.025Ti', 'fraction'],
  ['0.000000000001Ki', 'fraction'],
  ['.001', 'fraction'],
  ['.0001k', 'fraction'],
  ['1.', 1n],
  ['1.G', 10n ** 9n],
  // from TestQuantityParseEmit
  ['1024Mi', 1024n * Mi],
  ['1000M', 10n ** 9n],
  ['.001Ki', 'fraction'],
  ['.000000000001Ki', 'fraction'],
];

const upstreamInvalid: [string, Fail][] = [
  ['1.1.M', 'format'],
  ['1+1.0M', 'format'],
  ['0.1mi', 'suffix'],
  ['0.1am', 'format'],
  ['aoeu', 'format'],
  ['.5i', 'suffix'],
  ['1i', 'suffix'],
  ['-3.01i', 'suffix'],
  ['-3.01e-', 'suffix'],
  ['1e4294967297', 'suffix'], // newer apimachinery refuses exponents beyond int32
  [' 1', 'format'],
  ['1 ', 'format'],
];

const crilogTable: [string, bigint | Fail][] = [
  ['10Mi', 10n * Mi],
  ['1G', 10n ** 9n],
  ['-1', -1n],
  ['-1Ki', -Ki],
  ['+1Ki', Ki],
  ['1E3', 1000n], // "E3" is an exponent; a bare "E" is exa
  ['1e+3', 1000n],
  ['1e03', 1000n],
  ['1.5e3', 1500n],
  ['1.5G', 1_500_000_000n],
  ['1.5k', 1500n],
  ['007', 7n],
  ['100m', 'fraction'],
  ['1000m', { form: '1' }],
  ['1.0', { form: '1' }],
  ['1.5Ki', { form: '1536' }],
  ['1.3Ki', 'fraction'],
  ['1.0Ki', { form: '1024' }],
  ['.5Ki', { form: '512' }],
  ['1.Ki', Ki],
  ['1Pi', { form: Pi.toString() }],
  ['7Ei', { form: (7n * Ei).toString() }],
  ['8Ei', 'large'],
  ['99Ti', 99n * Ti],
  ['99999Gi', 99999n * Gi],
  ['100000Gi', { form: (100000n * Gi).toString() }],
  ['99999999Mi', 99999999n * Mi],
  ['100000000Mi', { form: (100000000n * Mi).toString() }],
  ['99999999999Ki', 99999999999n * Ki],
  ['100000000000Ki', { form: (100000000000n * Ki).toString() }],
  ['000010Ti', 10n * Ti], // leading zeros do not count towards precision
  ['9223372036854775807', MAX],
  ['-9223372036854775807', -MAX],
  ['9223372036854775808', 'large'], // upstream ErrNumeric
  ['-9223372036854775808', 'large'], // the parser never yields int64's minimum
  ['9223372036854775807e0', MAX],
  ['922337203685477580.7e1', MAX],
  ['9.223372036854775807E', MAX],
  ['9.223372036854775808E', 'large'],
  ['92233720368547758070', 'large'], // 20 digits: inf.Dec path
  ['9300000000000000000m', { form: '9300000000000000' }], // upstream ErrNumeric
  ['1e18', 10n ** 18n],
  ['1e19', 'large'],
  ['1e2147483647', 'large'],
  ['0e2147483647', 0n],
  ['1e-2147483647', 'fraction'],
  ['1.00e-2147483647', 'fraction'],
  ['0.00e-2147483647', 0n], // scale wraps around int32 into the fast path upstream
  ['1e2147483648', 'suffix'],
  ['1e-2147483648', 'suffix'],
  ['1e9223372036854775808', 'suffix'],
  // oddities upstream's scanner accepts
  ['Ki', 0n],
  ['M', 0n],
  ['-', 0n],
  ['+', 0n],
  ['.', 0n],
  ['-.', 0n],
  ['00', 0n],
  ['-0', 0n],
  ['e5', 0n],
  ['m', { form: '0' }],
  ['Pi', 'digits'],
  ['-Pi', 'digits'],
  ['.Ei', 'digits'],
  // rejected spellings
  ['', 'empty'],
  [' 1Mi', 'format'],
  ['1Mi ', 'format'],
  ['1 Mi', 'format'],
  ['1Mb', 'format'],
  ['1MB', 'format'],
  ['1KiB', 'format'],
  ['1kb', 'format'],
  ['1K', 'suffix'],
  ['1ki', 'suffix'],
  ['1mi', 'suffix'],
  ['1MI', 'format'], // only a lower-case i is a suffix character
  ['1e', 'suffix'],
  ['1E+', 'suffix'],
  ['1ee3', 'suffix'],
  ['1Mi5', 'suffix'],
  ['1+5', 'suffix'],
  ['1e3e', 'format'],
  ['1e3.5', 'format'],
  ['1.5.5', 'format'],
  ['--1', 'suffix'], // upstream reads "-1" as a suffix
  ['+-1', 'suffix'],
  ['0x10', 'format'],
  ['1_000', 'format'],
  ['1,000', 'format'],
  ['1\n', 'format'],
  ['１', 'format'],
  ['1µ', 'format'],
  ['NaN', 'format'],
  ['Infinity', 'format'],
];

function check(input: string, expected: bigint | Fail): void {
  if (typeof expected === 'bigint') {
    expect(parseQuantityBigInt(input)).toBe(expected);
    expect(parseQuantity(input)).toBe(Number(expected));
    return;
  }
  let error: unknown;
  try {
    parseQuantityBigInt(input);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CrilogError);
  const { code, message } = error as CrilogError;
  expect(code).toBe('ERR_INVALID_OPTION');
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error).toMatchObject({ key: 'quantity', value: input });
  expect(message).toContain(`quantity ${showValue(input)} is invalid: `);
  if (typeof expected === 'string') expect(message).toMatch(FAIL[expected]);
  else expect(message).toContain(`it equals ${expected.form} but Kubernetes does not accept it in this form`);
  expect(() => parseQuantity(input)).toThrow(CrilogError);
}

describe('parseQuantity', () => {
  describe('upstream parse table, positive, negated and with an explicit +', () => {
    it.each(upstreamTable)('%j', (input, expected) => {
      check(input, expected);
      const neg = typeof expected === 'bigint' ? -expected : expected;
      const negForm = typeof neg === 'object' && neg.form !== '0' ? { form: `-${neg.form}` } : neg;
      check(`-${input}`, input === '0' ? 0n : negForm);
      check(`+${input}`, expected);
    });
  });

  it.each(upstreamInvalid)('rejects upstream invalid input %j', check);

  it.each(crilogTable)('%j', check);

  it('matches the examples in the brief', () => {
    expect(parseQuantity('10Mi')).toBe(10485760);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('-1')).toBe(-1);
    expect(parseQuantity('0')).toBe(0);
    expect(Object.is(parseQuantity('-0'), 0)).toBe(true);
  });

  it('gives the fix in the message', () => {
    expect(() => parseQuantity('1.3Ki')).toThrow(
      'quantity "1.3Ki" is invalid: it is not a whole number of bytes; use an integer with an optional suffix such as 10Mi, 512Ki or 1G',
    );
    expect(() => parseQuantity('1.5Ki')).toThrow(
      'quantity "1.5Ki" is invalid: it equals 1536 but Kubernetes does not accept it in this form; write it as 1536',
    );
    expect(() => parseQuantity('1Pi')).toThrow(
      'quantity "1Pi" is invalid: it equals 1125899906842624 but Kubernetes does not accept it in this form; write it as 1125899906842624',
    );
    expect(() => parseQuantity('8Ei')).toThrow(/the limit is 9223372036854775807 bytes/);
  });

  it('returns a double for values beyond 2^53 and the exact value as bigint', () => {
    expect(parseQuantityBigInt('9007199254740993')).toBe(9007199254740993n);
    expect(parseQuantity('9007199254740993')).toBe(9007199254740992);
  });

  it('reads a number given at runtime (e.g. from YAML) through its string form', () => {
    expect(parseQuantity(10485760 as unknown as string)).toBe(10485760);
    expect(() => parseQuantity(undefined as unknown as string)).toThrow(/quantity "undefined" is invalid/);
  });
});
