import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesFamily } from './series-family.js';

const labels = (l: Record<string, string>) => Object.freeze(l);

describe('SeriesFamily', () => {
  it('renders what prom-client renders: escaped labels and HELP, NaN and infinities, missing labels left out', async () => {
    const help = 'a \\ help\nover two lines';
    const family = new SeriesFamily('x_ratio', help, 'gauge', ['a', 'b']);
    const reference = new Registry();
    const gauge = new Gauge({ name: 'x_ratio', help, labelNames: ['a', 'b'], registers: [reference] });
    const cases: [Record<string, string>, number][] = [
      [{ a: 'quote " back \\ nl \n end', b: '' }, 0.25],
      [{ a: 'nan', b: 'x' }, NaN],
      [{ a: 'inf', b: 'x' }, Infinity],
      [{ a: 'ninf', b: 'x' }, -Infinity],
      [{ a: 'only a' }, 1e21],
      [{ a: 'ünï', b: '日本' }, -0.5],
    ];
    for (const [l, v] of cases) {
      family.set(labels(l), v);
      gauge.set(l, v);
    }
    expect(`${family.text()}\n`).toBe(await reference.metrics());
  });

  it('changes its version only when a scrape would see a change', () => {
    const family = new SeriesFamily('c_total', 'h', 'counter', ['id']);
    const a = labels({ id: 'a' });
    family.inc(a, 5);
    const v = family.version;
    const text = family.text();
    family.set(labels({ id: 'a' }), 5);
    family.inc(a, 0);
    family.remove(labels({ id: 'gone' }));
    expect(family.version).toBe(v);
    expect(family.text()).toBe(text);
    family.inc(a, 1);
    expect(family.version).toBeGreaterThan(v);
    expect(family.get({ id: 'a' })).toBe(6);
    family.remove({ id: 'a' });
    expect(family.get(a)).toBeUndefined();
    expect(family.text()).toBe('# HELP c_total h\n# TYPE c_total counter');
  });

  it('identifies a series by its label values, whatever object or key order carries them', () => {
    const family = new SeriesFamily('g', 'h', 'gauge', ['a', 'b']);
    family.set(labels({ a: '1', b: '2' }), 1);
    family.set({ b: '2', a: '1' }, 2);
    expect(family.size).toBe(1);
    expect(family.text()).toBe('# HELP g h\n# TYPE g gauge\ng{a="1",b="2"} 2');
  });

  it('refuses to decrease a counter, naming it', () => {
    const family = new SeriesFamily('c_total', 'h', 'counter', ['id']);
    expect(() => family.inc({ id: 'a' }, -1)).toThrow(/counter c_total cannot decrease/);
  });
});
