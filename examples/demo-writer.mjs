#!/usr/bin/env node
// A sample workload for the demo: writes log lines at a steady rate, the way an application would.
//   node demo-writer.mjs <style> <bytesPerSecond>
// style: json (structured app logs), access (web access log), long (very long lines plus stderr
// warnings, to show P/F splitting), tick (one line a second).
const [style = 'json', rateArg = '20000'] = process.argv.slice(2);
const rate = Number(rateArg);
let n = 0;

const line = () => {
  n++;
  switch (style) {
    case 'access':
      return `10.0.${n % 255}.${(n * 7) % 255} - - [${new Date().toISOString()}] "GET /api/items/${n % 977} HTTP/1.1" 200 ${(n * 37) % 5000}\n`;
    case 'long':
      return n % 5 === 0 ? `${'x'.repeat(40_000)} <- a 40 KB line (#${n})\n` : `processing batch ${n}\n`;
    case 'tick':
      return `tick ${n} at ${new Date().toISOString()}\n`;
    default:
      return `${JSON.stringify({ level: n % 10 === 0 ? 'warn' : 'info', seq: n, msg: 'handled request', route: `/v1/orders/${n % 1000}`, ms: n % 250 })}\n`;
  }
};

const tickMs = style === 'tick' ? 1000 : 100;
setInterval(() => {
  let budget = (rate * tickMs) / 1000;
  let out = '';
  while (budget > 0) {
    const l = line();
    out += l;
    budget -= l.length;
  }
  process.stdout.write(out);
  if (style === 'long' && n % 10 === 0) process.stderr.write(`warning: batch ${n} was slow\n`);
}, tickMs);

process.on('SIGTERM', () => {
  process.stdout.write(`shutting down after ${n} lines\n`);
  process.exit(0);
});
