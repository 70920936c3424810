/**
 * A third kind of log text for the level measurement (levels.mjs), unlike the workload generator's
 * personalities on purpose, so the level table is not fitted to one generator: long structured JSON
 * records (OpenTelemetry-like: trace ids, nested resource and attribute objects, 200-1500 bytes) in
 * CRI lines. Deterministic: the same seed gives the same bytes.
 */
import { Buffer } from 'node:buffer';
import { Prng } from '../workload/prng.mjs';

const SERVICES = ['checkout', 'cart', 'payment', 'shipping', 'recommendation', 'ad', 'currency', 'email'];
const ROUTES = ['/api/cart', '/api/checkout', '/api/products/{id}', '/api/recommendations', '/healthz'];
const MESSAGES = [
  'request completed',
  'cache miss, loading from database',
  'retrying upstream call after timeout',
  'order placed',
  'payment authorised',
  'inventory reservation released',
  'slow query detected',
];
const WORDS = ['alpha', 'bravo', 'delta', 'echo', 'kilo', 'lima', 'oscar', 'sierra', 'tango', 'zulu'];

/**
 * `bytes` of CRI log text (whole lines; the last one is cut to size, which compressors do not mind).
 * @param {string} seed
 * @param {number} bytes
 * @returns {Buffer}
 */
export function jsonLines(seed, bytes) {
  const rng = new Prng(seed);
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  let ms = Date.UTC(2024, 4, 1);
  while (at < bytes) {
    ms += rng.int(40);
    const service = rng.skewed(SERVICES);
    const level = rng.float() < 0.9 ? 'info' : rng.pick(['warn', 'error']);
    const attributes = {};
    for (let i = rng.int(12); i > 0; i--)
      attributes[`app.${rng.pick(WORDS)}.${rng.pick(WORDS)}`] = rng.int(1e6);
    const record = {
      timestamp: new Date(ms).toISOString(),
      severity: level.toUpperCase(),
      body: rng.skewed(MESSAGES),
      trace_id: rng.hex(32),
      span_id: rng.hex(16),
      resource: {
        'service.name': service,
        'service.version': `1.${rng.int(4)}.${rng.int(20)}`,
        'k8s.pod.name': `${service}-7d9f${rng.hex(2)}-${rng.hex(5)}`,
        'k8s.namespace.name': 'shop',
      },
      attributes: {
        'http.route': rng.skewed(ROUTES),
        'http.status_code': level === 'error' ? 500 : 200,
        'http.duration_ms': Math.round(rng.float() * rng.float() * 2000),
        'user.id': rng.int(50_000),
        ...attributes,
      },
      ...(level === 'error' ? { 'exception.stacktrace': stack(rng) } : {}),
    };
    const line = `${new Date(ms).toISOString().replace('Z', `${rng.int(1e6)}Z`)} stdout F ${JSON.stringify(record)}\n`;
    at += out.write(line, at, 'latin1');
  }
  return out;
}

/** @param {Prng} rng */
function stack(rng) {
  const frames = [];
  for (let i = 3 + rng.int(8); i > 0; i--)
    frames.push(
      `at ${rng.pick(WORDS)}.${rng.pick(WORDS)} (/app/src/${rng.pick(WORDS)}.js:${rng.int(400)}:${rng.int(80)})`,
    );
  return `Error: upstream ${rng.pick(SERVICES)} failed\n    ${frames.join('\n    ')}`;
}
