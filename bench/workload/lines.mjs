/**
 * Realistic CRI log lines (`<RFC3339Nano> stdout|stderr F <content>\n`) of 40-300 bytes. Each container
 * gets a personality, as real pods do: a JSON HTTP service, a pino (Node) service, nginx access logs, a
 * klog controller or a Java app with stack traces, so the mix of structured and plain text, repetition
 * and random ids compresses the way real node logs do.
 */

/** Smallest and largest line, newline included. */
export const MIN_LINE = 40;
export const MAX_LINE = 300;
/** Shortest fill line: the longest head (`<ts with 9 digits>Z stderr F `) plus some content. */
export const MIN_FILL = 64;

/** The personalities, in the order containers are assigned them. */
export const PERSONALITIES = ['json-http', 'klog', 'nginx', 'pino', 'java'];

const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const PATHS = [
  '/api/v1/orders',
  '/api/v1/users',
  '/healthz',
  '/api/v1/carts',
  '/metrics',
  '/api/v2/search',
  '/api/v1/payments',
  '/static/app.js',
  '/api/v1/inventory',
  '/login',
];
const STATUS = [200, 200, 200, 200, 201, 204, 304, 400, 401, 404, 409, 500, 503];
const MESSAGES = [
  'request completed',
  'cache miss',
  'order created',
  'retrying upstream call',
  'user authenticated',
  'payment authorized',
  'connection pool exhausted',
  'slow query',
  'message published',
  'token refreshed',
  'rate limit exceeded',
];
const LOGGERS = ['http', 'db', 'cache', 'queue', 'auth', 'billing'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'curl/8.5.0',
  'kube-probe/1.30',
  'Go-http-client/1.1',
  'python-requests/2.31.0',
];
const KLOG = [
  ['reconciler.go', 'Reconciling object'],
  ['controller.go', 'Syncing deployment'],
  ['leaderelection.go', 'successfully renewed lease'],
  ['shared_informer.go', 'Watch close'],
  ['event.go', 'Event occurred'],
  ['status.go', 'Updated status'],
];
const NAMESPACES = ['default', 'kube-system', 'payments', 'shop', 'monitoring'];
const JAVA_CLASSES = [
  'com.example.order.OrderService',
  'com.example.api.UserController',
  'org.hibernate.SQL',
  'com.zaxxer.hikari.pool.HikariPool',
  'org.springframework.web.servlet.DispatcherServlet',
];
const JAVA_MESSAGES = [
  'Processed order',
  'Completed initialization',
  'Fetching user',
  'Connection is not available, request timed out after 30000ms',
  'select o.id, o.total from orders o where o.user_id=?',
];
const FRAMES = [
  'com.example.order.OrderService.process(OrderService.java:',
  'com.example.api.UserController.get(UserController.java:',
  'org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:',
  'java.base/java.lang.Thread.run(Thread.java:',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Writes lines of one file: a clock that only moves forward, a personality, a PRNG. */
export class LineSource {
  #rng;
  #personality;
  #sec;
  #nanos = 0;
  #secText = '';
  #secTextFor = -1;
  #stackLeft = 0;

  /**
   * @param {import('./prng.mjs').Prng} rng
   * @param {string} personality one of PERSONALITIES
   * @param {number} startSec Unix seconds of the first line
   */
  constructor(rng, personality, startSec) {
    if (!PERSONALITIES.includes(personality))
      throw new Error(`unknown personality "${personality}"; use one of ${PERSONALITIES.join(', ')}`);
    this.#rng = rng;
    this.#personality = personality;
    this.#sec = startSec;
  }

  /** @returns {string} the next full line, newline included, MIN_LINE..MAX_LINE bytes (ASCII). */
  next() {
    this.#tick();
    const stamp = this.#stamp();
    const { stream, content } = this.#content();
    const head = `${stamp} ${stream} F `;
    const max = MAX_LINE - head.length - 1;
    return `${head}${content.length > max ? content.slice(0, max) : content}\n`;
  }

  /**
   * A plain text line of exactly `length` bytes, to end a file at an exact size.
   * @param {number} length MIN_FILL..MAX_LINE
   */
  fill(length) {
    if (length < MIN_FILL || length > MAX_LINE)
      throw new Error(`fill length ${length} is outside ${MIN_FILL}..${MAX_LINE}`);
    this.#tick();
    const head = `${this.#stamp()} stdout F `;
    let content = `flushing buffers before shutdown id=${this.#rng.hex(16)}`;
    const want = length - head.length - 1;
    while (content.length < want) content += ' .';
    return `${head}${content.slice(0, want)}\n`;
  }

  #tick() {
    // Bursty traffic: mostly sub-millisecond gaps, sometimes a pause of up to ~2 s.
    const r = this.#rng.float();
    this.#nanos += r < 0.97 ? this.#rng.int(900_000) : this.#rng.int(2_000_000_000);
    while (this.#nanos >= 1e9) {
      this.#nanos -= 1e9;
      this.#sec += 1;
    }
  }

  /** RFC3339Nano as Go formats it: UTC, trailing zeros of the fraction dropped. */
  #stamp() {
    if (this.#secTextFor !== this.#sec) {
      this.#secText = new Date(this.#sec * 1000).toISOString().slice(0, 19);
      this.#secTextFor = this.#sec;
    }
    if (this.#nanos === 0) return `${this.#secText}Z`;
    let frac = String(this.#nanos).padStart(9, '0');
    while (frac.endsWith('0')) frac = frac.slice(0, -1);
    return `${this.#secText}.${frac}Z`;
  }

  /** @returns {{ stream: string, content: string }} */
  #content() {
    const g = this.#rng;
    switch (this.#personality) {
      case 'json-http': {
        const level = g.float() < 0.9 ? 'info' : g.pick(['warn', 'error', 'debug']);
        const status = g.skewed(STATUS);
        const extra =
          level === 'error'
            ? `,"error":"upstream ${g.pick(['timeout', 'connection refused', 'reset by peer'])}"`
            : '';
        return {
          stream: level === 'error' || level === 'warn' ? 'stderr' : 'stdout',
          content: `{"level":"${level}","ts":${this.#sec}.${String(Math.floor(this.#nanos / 1000)).padStart(6, '0')},"logger":"${g.skewed(LOGGERS)}","msg":"${g.skewed(MESSAGES)}","method":"${g.pick(METHODS)}","path":"${g.skewed(PATHS)}/${g.int(100000)}","status":${status},"duration_ms":${(g.float() * 250).toFixed(2)},"request_id":"${g.hex(16)}"${extra}}`,
        };
      }
      case 'pino': {
        const level = g.float() < 0.92 ? 30 : g.pick([20, 40, 50]);
        return {
          stream: 'stdout',
          content: `{"level":${level},"time":${this.#sec * 1000 + Math.floor(this.#nanos / 1e6)},"pid":1,"hostname":"shop-web-7d9f8c6b5-x2kqp","reqId":"req-${g.int(1e6).toString(36)}","msg":"${g.skewed(MESSAGES)}","responseTime":${(g.float() * 80).toFixed(3)}}`,
        };
      }
      case 'nginx': {
        const d = new Date(this.#sec * 1000);
        const when = `${String(d.getUTCDate()).padStart(2, '0')}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${this.#secText.slice(11)} +0000`;
        if (g.float() < 0.03) {
          return {
            stream: 'stderr',
            content: `${this.#secText.slice(0, 10).replaceAll('-', '/')} ${this.#secText.slice(11)} [error] 29#29: *${g.int(1e6)} upstream timed out (110: Connection timed out) while reading response header from upstream`,
          };
        }
        return {
          stream: 'stdout',
          content: `10.244.${g.int(8)}.${g.int(250)} - - [${when}] "${g.pick(METHODS)} ${g.skewed(PATHS)}?page=${g.int(50)} HTTP/1.1" ${g.skewed(STATUS)} ${g.int(60000)} "-" "${g.skewed(AGENTS)}"`,
        };
      }
      case 'klog': {
        const [file, msg] = g.skewed(KLOG);
        const sev = g.float() < 0.93 ? 'I' : g.pick(['W', 'E']);
        const t = this.#secText;
        const micros = String(Math.floor(this.#nanos / 1000)).padStart(6, '0');
        return {
          stream: 'stderr',
          content: `${sev}${t.slice(5, 7)}${t.slice(8, 10)} ${t.slice(11)}.${micros}       1 ${file}:${100 + g.int(400)}] "${msg}" object="${g.skewed(NAMESPACES)}/app-${g.hex(5)}" generation=${g.int(500)}`,
        };
      }
      default: {
        if (this.#stackLeft > 0) {
          this.#stackLeft--;
          return { stream: 'stderr', content: `\tat ${g.pick(FRAMES)}${g.int(900)})` };
        }
        const level = g.float() < 0.9 ? 'INFO ' : g.pick(['WARN ', 'ERROR', 'DEBUG']);
        if (level === 'ERROR') this.#stackLeft = 3 + g.int(8);
        const time = `${this.#secText.slice(0, 10)} ${this.#secText.slice(11)},${String(Math.floor(this.#nanos / 1e6)).padStart(3, '0')}`;
        return {
          stream: level === 'ERROR' ? 'stderr' : 'stdout',
          content: `${time} ${level} [http-nio-8080-exec-${1 + g.int(10)}] ${g.skewed(JAVA_CLASSES)} - ${g.skewed(JAVA_MESSAGES)} ${g.int(100000)} in ${g.int(300)} ms`,
        };
      }
    }
  }
}
