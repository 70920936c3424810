import { InvalidOptionError } from '../errors/crilog-error.js';

// A port of what the kubelet does with `containerLogMaxSize`: apimachinery's
// resource.ParseQuantity followed by Quantity.AsInt64(). Sizes must be accepted or
// rejected exactly as the kubelet would, quirks included, so a config that works here
// also works there. Values the kubelet cannot hold in an int64 "fast path" amount are
// rejected even when they are whole numbers ("1.0Ki", "1Pi", "1000m"): that is
// upstream behaviour, and the error message then gives the plain-integer spelling.

const INT64_MAX = (1n << 63n) - 1n;
const INT32_MAX = 2147483647;
const NANO_SCALE = -9;
const INT64_DIGITS = 19;
const SUFFIX_CHARS = 'eEinumkKMGTP';
const DECIMAL = new Map([['', 0], ['n', -9], ['u', -6], ['m', -3], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18]]); // prettier-ignore
const BINARY = new Map([['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40], ['Pi', 50], ['Ei', 60]]); // prettier-ignore
const FIX = 'use an integer with an optional suffix such as 10Mi, 512Ki or 1G';

interface Parts {
  positive: boolean;
  value: string; // signed numeric text, as upstream hands it to its decimal parser
  num: string; // integer digits without leading zeros ("0" when none)
  denom: string; // fraction digits
  suffix: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Splits `str` the way upstream's scanner does; undefined means a malformed string. */
function scan(str: string): Parts | undefined {
  const end = str.length;
  let pos = 0;
  const positive = str[0] !== '-';
  if (str[0] === '-' || str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (isDigit(str[i])) i++;
  const num = str.slice(pos, i) || '0';
  if (i >= end) return { positive, value: str, num, denom: '', suffix: '' };
  pos = i;
  let denom = '';
  if (str[pos] === '.') {
    i = ++pos;
    while (isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: '' };
    pos = i;
  }
  const value = str.slice(0, pos);
  const start = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos] as string)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (isDigit(str[pos])) pos++;
  return pos >= end ? { positive, value, num, denom, suffix: str.slice(start) } : undefined;
}

/** Suffix to base and exponent; exponents beyond int32 are refused (newer apimachinery). */
function interpret(suffix: string): { binary: boolean; exponent: number } | undefined {
  const dec = DECIMAL.get(suffix);
  if (dec !== undefined) return { binary: false, exponent: dec };
  const bin = BINARY.get(suffix);
  if (bin !== undefined) return { binary: true, exponent: bin };
  if (suffix.length < 2 || (suffix[0] !== 'e' && suffix[0] !== 'E')) return undefined;
  if (!/^[+-]?[0-9]+$/.test(suffix.slice(1))) return undefined;
  const exponent = Number(suffix.slice(1));
  return Math.abs(exponent) <= INT32_MAX ? { binary: false, exponent } : undefined;
}

type Outcome = bigint | 'format' | 'suffix' | 'digits' | 'rejected';

function evaluate(p: Parts): Outcome {
  const unit = interpret(p.suffix);
  if (!unit) return 'suffix';
  let precision = -1;
  let scale = 0;
  let multiplier = 1n;
  if (!unit.binary) {
    scale = unit.exponent;
    precision = INT64_DIGITS - (p.num.length + p.denom.length);
  } else if (p.denom.length === 0) {
    multiplier = 1n << BigInt(unit.exponent);
    precision = 15 - p.num.length - Math.trunc((unit.exponent * 3) / 10) - 1;
  }
  if (precision >= 0) {
    scale = (scale - p.denom.length) | 0; // upstream does this in int32 and may wrap
    if (scale >= NANO_SCALE) {
      const shifted = BigInt(p.num + p.denom);
      if (shifted > INT64_MAX) return 'rejected'; // upstream: ErrNumeric
      const amount = shifted * multiplier;
      if (amount <= INT64_MAX) return asInt64(p.positive ? amount : -amount, scale);
    }
  }
  // Upstream falls back to an arbitrary-precision decimal, which AsInt64 never converts.
  return /[0-9]/.test(p.value) ? 'rejected' : 'digits';
}

function asInt64(value: bigint, scale: number): Outcome {
  if (scale === 0 || value === 0n) return scale < 0 ? 'rejected' : value;
  if (scale < 0 || scale >= INT64_DIGITS) return 'rejected';
  const scaled = value * 10n ** BigInt(scale);
  return scaled <= INT64_MAX && scaled >= -INT64_MAX ? scaled : 'rejected';
}

/** Why an accepted-looking quantity was refused, from its exact value, and the fix. */
function explainRejection(p: Parts): [string, string | undefined] {
  const unit = interpret(p.suffix) as { binary: boolean; exponent: number };
  let digits = BigInt(p.num + p.denom);
  let exact: bigint | undefined;
  if (unit.binary) {
    const scaled = digits << BigInt(unit.exponent);
    const divisor = 10n ** BigInt(p.denom.length);
    if (scaled % divisor !== 0n) return ['it is not a whole number of bytes', FIX];
    exact = scaled / divisor;
  } else {
    let power = unit.exponent - p.denom.length;
    for (; digits !== 0n && digits % 10n === 0n; power++) digits /= 10n;
    if (digits !== 0n && power < 0) return ['it is not a whole number of bytes', FIX];
    if (digits === 0n) exact = 0n;
    else if (digits.toString().length + power <= INT64_DIGITS) exact = digits * 10n ** BigInt(power);
  }
  if (exact === undefined || exact > INT64_MAX) {
    return [`it is too large (the limit is ${INT64_MAX} bytes)`, 'use a smaller size such as 10Mi or 1Gi'];
  }
  const plain = (p.positive || exact === 0n ? '' : '-') + exact.toString();
  return [`it equals ${plain} but Kubernetes does not accept it in this form`, `write it as ${plain}`];
}

/**
 * Parses a Kubernetes quantity (e.g. `10Mi`, `1G`, `512Ki`, `1e6`) into an exact byte count,
 * accepting and rejecting exactly what the kubelet accepts for `containerLogMaxSize`
 * (ParseQuantity then AsInt64). Negative values are returned as-is (the kubelet reads them
 * as "rotation disabled"). Throws InvalidOptionError whose key is `name`, with the value, why and the fix.
 */
export function parseQuantityBigInt(value: string, name = 'quantity'): bigint {
  const str = typeof value === 'string' ? value : String(value);
  const parts = str === '' ? undefined : scan(str);
  const outcome: Outcome = str === '0' ? 0n : parts ? evaluate(parts) : 'format';
  if (typeof outcome === 'bigint') return outcome;
  let rule: string;
  let hint: string | undefined = FIX;
  if (str === '') rule = 'it is empty';
  else if (outcome === 'format') rule = 'it is not a number with an optional suffix (no spaces)';
  else if (outcome === 'digits') rule = 'it has no digits';
  else if (outcome === 'suffix') {
    rule = `unknown suffix "${parts?.suffix}"`;
    hint =
      'use Ki, Mi, Gi, Ti (powers of 1024), k, M, G, T (powers of 1000) or an exponent such as e6, e.g. 10Mi';
  } else {
    [rule, hint] = explainRejection(parts as Parts);
  }
  throw new InvalidOptionError({ key: name, value: str, rule, ...(hint ? { hint } : {}) });
}

/**
 * Like {@link parseQuantityBigInt} but returns a number. Exact up to 2^53 bytes (8 PiB),
 * far beyond any realistic log size; larger accepted values are rounded to the nearest double.
 */
export function parseQuantity(value: string, name = 'quantity'): number {
  return Number(parseQuantityBigInt(value, name));
}
