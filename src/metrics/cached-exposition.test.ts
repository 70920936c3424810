import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../ports/runtime-service.js';
import { CONTAINER_LABELS, ContainerSeries, type IdentifyContainer } from './container-series.js';
import { CrilogMetrics } from './metrics.js';

/** The lines of an exposition as a sorted multiset, blank lines (family separators) left out. */
const lines = (text: string) => text.split('\n').filter(Boolean).sort();

/** Fails unless every family has one HELP and one TYPE, followed by all of its samples and no other. */
function expectValidExposition(text: string): void {
  const seen = new Set<string>();
  let family = '';
  for (const line of text.split('\n').filter(Boolean)) {
    const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
    if (meta) {
      const key = `${meta[1]} ${meta[2]}`;
      expect(seen.has(key), `${key} twice`).toBe(false);
      seen.add(key);
      family = meta[2]!;
      continue;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    const ofFamily = [family, `${family}_bucket`, `${family}_sum`, `${family}_count`].includes(name);
    expect(ofFamily, `${name} outside its family (after ${family})`).toBe(true);
  }
}

/** Containers whose names are known; some hostile (quotes, newlines, backslashes, very long). */
const names: Record<string, Pick<ContainerInfo, 'labels' | 'metadata'>> = {
  a: { labels: {}, metadata: { name: 'app', attempt: 0, podName: 'web-1', podNamespace: 'shop' } },
  b: { labels: {}, metadata: { name: 'x"y\\z\nw', attempt: 0, podName: 'p'.repeat(400), podNamespace: 'n' } },
  c: { labels: {}, metadata: { name: 'c-app', attempt: 1, podName: 'c-pod', podNamespace: 'shop' } },
};

describe('the /metrics body with cached per-container series', () => {
  it('has the series and values prom-client renders for the same state, across every kind of change', async () => {
    let known = new Set(['a', 'b']);
    const identify: IdentifyContainer = (id) => (known.has(id) ? names[id] : undefined);
    const metrics = new CrilogMetrics({ identify, version: '1.2.3' });
    // What the daemon served before: the same series kept by prom-client in a registry.
    const old = new Registry();
    const family = { labelNames: CONTAINER_LABELS, registers: [old] };
    const gauge = new Gauge({ ...family, name: metrics.liveRatio.name, help: metrics.liveRatio.help });
    const counter = new Counter({
      ...family,
      name: metrics.containerRotatedBytes.name,
      help: metrics.containerRotatedBytes.help,
    });
    const reference = new ContainerSeries({ liveRatio: gauge, rotatedBytes: counter }, identify, true);
    const both = (step: (s: ContainerSeries) => void) => [metrics.containers, reference].forEach(step);
    let last: Buffer | undefined;
    const check = async (what: string, changed = true) => {
      const { chunks } = await metrics.exposition();
      const body = chunks[0] + chunks[1].toString('utf8');
      const want = (await metrics.registry.metrics()) + '\n' + (await old.metrics());
      expect(lines(body), what).toEqual(lines(want));
      expectValidExposition(body);
      // Unchanged series: the very Buffer of the scrape before, nothing rendered again.
      if (changed) expect(chunks[1], `${what}: rendered again`).not.toBe(last);
      else expect(chunks[1], `${what}: reused`).toBe(last);
      last = chunks[1];
      return body;
    };

    await check('no containers yet');
    both((s) => s.observeRatio('a', 0.5));
    both((s) => s.observeRatio('b', 0.25));
    expect(await check('new containers')).toContain('crilog_live_log_size_ratio{namespace="shop"');
    both((s) => s.observeRatio('a', 0.5));
    await check('the same value again', false);
    await check('a second scrape of an idle node', false);
    both((s) => s.observeRatio('a', 0.75));
    await check('a value change');
    both((s) => s.rotated('a', 1500));
    both((s) => s.observeRatio('a', 0));
    await check('a rotation');
    both((s) => s.observeRatio('c', 1));
    both((s) => s.rotated('c', 7));
    await check('a container whose names are not known yet');
    known = new Set(['a', 'b', 'c']);
    both((s) => s.observeRatio('c', 1));
    expect(await check('its names learnt')).toContain('container="c-app"');
    both((s) => s.dropRatio('b'));
    await check('a container that stopped');
    both((s) => s.retain(new Set(['a', 'b'])));
    await check('a container no longer managed');
    both((s) => (s.enabled = false));
    const off = await check('per-container series disabled by a live reload');
    expect(off).not.toMatch(/container_id=/);
    both((s) => s.observeRatio('a', 0.9));
    await check('observations while disabled', false);
    both((s) => (s.enabled = true));
    both((s) => s.observeRatio('a', 0.9));
    both((s) => s.rotated('a', 10));
    await check('enabled again');
  });
});
