import { describe, expect, it } from 'vitest';
import { mergeValues, renderChart, TemplateError, type RenderContext } from './helm-template.js';

const context = (values: Record<string, unknown> = {}): RenderContext => ({
  Values: values,
  Release: { Name: 'rel', Namespace: 'ns', Service: 'Helm', IsInstall: true, IsUpgrade: false },
  Chart: { Name: 'chart', Version: '1.2.3', AppVersion: '4.5.6' },
});

const render = (source: string, values: Record<string, unknown> = {}, helpers = ''): string =>
  renderChart({ '_helpers.tpl': helpers, 't.yaml': source }, context(values))['t.yaml']!;

// Expected outputs are what Go's text/template with Helm's (sprig) functions produces.
describe('helm template subset', () => {
  it('substitutes fields and trims whitespace around {{- and -}}', () => {
    expect(render('a: {{ .Values.x.y }}\nb:   {{- .Release.Name -}}   \n!', { x: { y: 7 } })).toBe(
      'a: 7\nb:rel!',
    );
  });

  it('drops comments and keeps text between actions', () => {
    expect(render('{{/* note */}}x\n{{- /* trimmed */}}\ny')).toBe('x\ny');
  });

  it('evaluates if / else if / else with Go truthiness', () => {
    const tpl = '{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}';
    expect(render(tpl, { a: [1], b: true })).toBe('A');
    expect(render(tpl, { a: [], b: 'x' })).toBe('B');
    expect(render(tpl, { a: 0, b: {} })).toBe('C');
  });

  it('reads chart files verbatim with .Files.Get, templates inside them untouched', () => {
    const out = renderChart(
      { 't.yaml': 'data:\n  f: |-\n{{ .Files.Get "files/a.txt" | indent 4 }}' },
      { ...context(), Files: { 'files/a.txt': 'x {{ $labels.y }}\nz' } },
    )['t.yaml'];
    expect(out).toBe('data:\n  f: |-\n    x {{ $labels.y }}\n    z');
    expect(() => renderChart({ 't.yaml': '{{ .Files.Get "nope" }}' }, context())).toThrow(/no such file/);
  });

  it('rebinds dot in with and range, and keeps $ as the root', () => {
    expect(
      render('{{ with .Values.m }}{{ .k }}-{{ $.Release.Namespace }}{{ else }}none{{ end }}', {
        m: { k: 'v' },
      }),
    ).toBe('v-ns');
    expect(render('{{ with .Values.m }}x{{ else }}none{{ end }}', { m: {} })).toBe('none');
    expect(render('{{ range .Values.l }}[{{ . }}]{{ end }}', { l: [1, 'b'] })).toBe('[1][b]');
  });

  it('pipes the previous value as the last argument', () => {
    expect(
      render('{{ .Values.s | default "d" | quote }} {{ .Values.n | default "d" }}', { s: '', n: 3 }),
    ).toBe('"d" 3');
    expect(render('{{ printf "%s-%v-%d" "a" .Values.b 3 | trunc 5 | trimSuffix "-" }}', { b: true })).toBe(
      'a-tru',
    );
    expect(render('{{ default .Chart.AppVersion .Values.tag }}', { tag: '' })).toBe('4.5.6');
  });

  it('renders toYaml with sorted keys and no trailing newline, and (n)indent like sprig', () => {
    const out = render('r:\n  {{- toYaml .Values.r | nindent 2 }}\n{{ "a\\nb" | indent 3 }}', {
      r: { z: 1, a: { list: ['x'] } },
    });
    expect(out).toBe('r:\n  a:\n    list:\n      - x\n  z: 1\n   a\n   b');
  });

  it('includes defined templates with their own dot, inside parentheses too', () => {
    const helpers = '{{- define "n" -}}{{ .Chart.Name }}-{{ .Values.suffix }}{{- end }}';
    expect(
      render('{{ include "n" . }} {{ default (include "n" .) .Values.o }}', { suffix: 's' }, helpers),
    ).toBe('chart-s chart-s');
  });

  it('supports or, and, not, eq, required, fail and sha256sum', () => {
    expect(
      render('{{ if or .Values.a .Values.b }}y{{ end }}{{ if and .Values.a .Values.b }}n{{ end }}', { b: 1 }),
    ).toBe('y');
    expect(render('{{ if not .Values.a }}y{{ end }}{{ if eq .Values.b 1 }}1{{ end }}', { b: 1 })).toBe('y1');
    expect(render('{{ "abc" | sha256sum }}')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(() => render('{{ required "x is required" .Values.x }}')).toThrow(/x is required/);
    expect(() => render('{{ if .Values.y }}{{ fail "no y please" }}{{ end }}', { y: 1 })).toThrow(
      /no y please/,
    );
  });

  it('rejects what it does not implement instead of approximating it', () => {
    expect(() => render('{{ $x := 1 }}')).toThrow(TemplateError);
    expect(() => render('{{ template "n" . }}')).toThrow(/not supported/);
    expect(() => render('{{ .Values.x | b64enc }}', { x: 'a' })).toThrow(
      /function "b64enc" is not supported/,
    );
    expect(() => render('{{ if .Values.x }}open')).toThrow(/not closed/);
  });

  it('is stricter than Helm about missing values', () => {
    expect(() => render('{{ .Values.missing }}')).toThrow(/printing a missing value: \.Values\.missing/);
    expect(() => render('{{ .Values.missing.deeper }}')).toThrow(
      /nil pointer evaluating \.Values\.missing\.deeper/,
    );
    expect(() => render('{{ .Values.m }}', { m: { a: 1 } })).toThrow(/use toYaml/);
  });

  it('renders helpers only through include', () => {
    const out = renderChart(
      { '_helpers.tpl': 'junk{{ define "x" }}X{{ end }}', 'a.yaml': '{{ include "x" . }}' },
      context(),
    );
    expect(out).toEqual({ 'a.yaml': 'X' });
  });
});

describe('mergeValues', () => {
  it('merges maps deeply, replaces lists and scalars, and deletes keys set to null', () => {
    const merged = mergeValues(
      { a: { b: 1, c: 2 }, l: [1, 2], s: 'x', gone: 1 },
      { a: { c: 3 }, l: [9], gone: null },
    );
    expect(merged).toEqual({ a: { b: 1, c: 3 }, l: [9], s: 'x' });
  });
});
