import { InvalidOptionError } from '../errors/crilog-error.js';

// Go's time.ParseDuration grammar, so flags read like the kubelet's own
// (`containerLogMonitorInterval: 10s`), plus `d` and `w` for retention windows. A bare number
// is refused: "7" read as 7 ms once deleted every rotation of a node, and `--since 1700000000`
// would mean something else to every crictl user. Work is done in integer nanoseconds, as Go
// does, so "1.5h" or "2h45m" carry no floating-point drift beyond what Go itself has.

const NS_PER_MS = 1_000_000n;
const INT64_MAX = (1n << 63n) - 1n;
const UNITS = new Map<string, bigint>([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek mu
  ['ms', NS_PER_MS],
  ['s', 1_000n * NS_PER_MS],
  ['m', 60_000n * NS_PER_MS],
  ['h', 3_600_000n * NS_PER_MS],
  ['d', 86_400_000n * NS_PER_MS],
  ['w', 604_800_000n * NS_PER_MS],
]);
const FORM = 'use a duration such as 300ms, 10s, 1m30s, 2h, 7d or 1w (units ns, us, ms, s, m, h, d, w)';
const PLAIN_NUMBER = /^([0-9]+\.?[0-9]*|\.[0-9]+)$/;
const COMPONENT = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/;

/** Nanoseconds in `text` (sign already removed), or the reason it is not a duration. */
function toNanoseconds(text: string): bigint | string {
  let total = 0n;
  for (let rest = text; rest !== '';) {
    const [whole, int = '', frac, unitName = ''] = COMPONENT.exec(rest) as RegExpExecArray;
    if (int === '' && !frac) return 'a number is missing';
    if (unitName === '') return 'a unit is missing';
    const unit = UNITS.get(unitName);
    if (unit === undefined) return `unknown unit "${unitName}"`;
    total += BigInt(int || '0') * unit + (frac ? fractionOf(frac, unit) : 0n);
    if (total > INT64_MAX) return 'it is too long (the limit is about 292 years)';
    rest = rest.slice(whole.length);
  }
  return total;
}

/** Go's arithmetic for the fraction digits, float rounding included, so results match it. */
function fractionOf(digits: string, unit: bigint): bigint {
  let x = 0n;
  let scale = 1;
  for (const c of digits) {
    const next = x * 10n + BigInt(c);
    if (x > INT64_MAX / 10n || next > INT64_MAX + 1n) break; // Go ignores digits past int64
    x = next;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(x) * (Number(unit) / scale)));
}

/**
 * Parses a duration flag or config value into milliseconds (fractional below 1ms).
 * Accepts Go durations (`300ms`, `1.5h`, `2h45m`; units ns us µs ms s m h) plus `d` (24h)
 * and `w` (7d). A string needs a unit; a number (the library's typed options) is milliseconds.
 * A leading sign is allowed as in Go, so callers that need a positive value must check it.
 * Throws InvalidOptionError whose key is `name`, with the value, the rule and the accepted form.
 */
export function parseDuration(value: string | number, name = 'duration'): number {
  const fail = (rule: string, hint = FORM): never => {
    throw new InvalidOptionError({ key: name, value, rule, hint });
  };
  if (typeof value === 'number') return Number.isFinite(value) ? value : fail('it is not a finite number');
  if (typeof value !== 'string') return fail('it is neither a string nor a number');
  const negative = value.startsWith('-');
  const text = negative || value.startsWith('+') ? value.slice(1) : value;
  if (text === '') return fail('it is empty');
  if (PLAIN_NUMBER.test(text)) {
    return fail(
      'a duration needs a unit',
      `write ${value}ms for milliseconds or ${value}s for seconds; ${FORM}`,
    );
  }
  const ns = toNanoseconds(text);
  if (typeof ns === 'string') return fail(ns);
  const ms = Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
  return negative && ms !== 0 ? -ms : ms;
}

/** Renders `ms` compactly for messages, e.g. `10s`, `1m30s`, `7d`, `1.5ms`; parseDuration reads it back. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const whole = Math.trunc(ms);
  let ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  if (ns === 0n) return '0s';
  const second = UNITS.get('s') as bigint;
  if (ns < second) {
    const [name, unit] = ns >= NS_PER_MS ? ['ms', NS_PER_MS] : ns >= 1_000n ? ['us', 1_000n] : ['ns', 1n];
    return decimal(ns, unit) + name;
  }
  let out = '';
  for (const name of ['d', 'h', 'm']) {
    const unit = UNITS.get(name) as bigint;
    if (ns >= unit) out += `${ns / unit}${name}`;
    ns %= unit;
  }
  return ns === 0n ? out : out + decimal(ns, second) + 's';
}

/** `value / unit` written exactly, without trailing zeros. */
function decimal(value: bigint, unit: bigint): string {
  const digits = unit.toString().length - 1;
  const frac = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${value / unit}${frac ? `.${frac}` : ''}`;
}
