/**
 * A deliberately small renderer for the subset of Helm's Go templates that the
 * crilog chart uses, so that the chart can be rendered and validated offline
 * (Helm itself cannot be installed on the build machines).
 *
 * Supported: text with `{{ }}` actions, `{{-`/`-}}` whitespace trimming, comments,
 * field chains on `.` and `$`, string/number/bool literals, parentheses, pipelines,
 * `if`/`else if`/`else`, `with`/`else`, `range` over lists, `define`, `.Files.Get "path"` (a file
 * of the chart, verbatim), and the functions include, default, required, fail, quote, printf (%s %v
 * %d), indent, nindent, toYaml, trunc, trimSuffix, sha256sum, or, and, not, eq.
 *
 * Anything else (variables other than `$`, `template`, `tpl`, `lookup`, other functions)
 * is rejected with an error rather than approximated. The renderer is stricter than
 * Helm in one respect on purpose: printing a missing value, or reading a field of a
 * missing value, throws, where Helm would print an empty string; a chart that renders
 * here therefore never depends on Helm's leniency.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import {
  describe,
  parse,
  TemplateError,
  type Expr,
  type TemplateNode,
  type Value,
} from './helm-template-parse.js';

export { TemplateError };

interface Scope {
  dot: Value;
  root: Value;
}

/** What a template file is rendered with: the objects Helm exposes at the top level. */
export interface RenderContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string; Service: string; IsInstall: boolean; IsUpgrade: boolean };
  Chart: Record<string, unknown>;
  /** The chart's files outside templates/, by path relative to the chart (`files/x.json`). */
  Files?: Record<string, string>;
}

/** Go template truthiness (which sprig's `default` and `empty` share). */
export function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replaceAll('\n', `\n${pad}`);
}

function asString(v: Value, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TemplateError(`${what} expects a string, got ${JSON.stringify(v)}`);
}

function printf(format: string, args: Value[]): string {
  let k = 0;
  return format.replace(/%[svd%]/g, (verb) => {
    if (verb === '%%') return '%';
    if (k >= args.length) throw new TemplateError(`printf "${format}": missing argument`);
    const arg = args[k++];
    if (verb === '%d' && typeof arg !== 'number')
      throw new TemplateError(`printf %d got ${JSON.stringify(arg)}`);
    return asString(arg, `printf "${format}"`);
  });
}

/** Renders a parsed chart: holds its `define`d templates. */
class Renderer {
  constructor(private readonly defines: Map<string, TemplateNode[]>) {}

  render(nodes: TemplateNode[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') out += node.text;
      else if (node.kind === 'output') {
        const v = this.eval(node.expr, scope);
        if (v === undefined || v === null)
          throw new TemplateError(`printing a missing value: ${describe(node.expr)}`);
        if (typeof v === 'object')
          throw new TemplateError(`printing a map or list: ${describe(node.expr)}; use toYaml`);
        out += String(v);
      } else {
        const v = this.eval(node.expr, scope);
        if (!truthy(v)) out += this.render(node.elseBody, scope);
        else if (node.kind === 'if') out += this.render(node.body, scope);
        else if (node.kind === 'with') out += this.render(node.body, { ...scope, dot: v });
        else if (Array.isArray(v))
          for (const item of v) out += this.render(node.body, { ...scope, dot: item });
        else throw new TemplateError(`range over a non-list: ${describe(node.expr)}`);
      }
    }
    return out;
  }

  private eval(expr: Expr, scope: Scope): Value {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'field': {
        let v: Value = expr.root === 'dollar' ? scope.root : scope.dot;
        for (const [i, key] of expr.path.entries()) {
          if (v === null || v === undefined || typeof v !== 'object') {
            throw new TemplateError(`nil pointer evaluating .${expr.path.slice(0, i + 1).join('.')}`);
          }
          v = (v as Record<string, unknown>)[key];
        }
        return v;
      }
      case 'ident':
        return this.call(expr.name, [], scope);
      case 'pipeline': {
        let piped: Value[] = [];
        for (const [i, command] of expr.commands.entries()) {
          const [head, ...args] = command;
          if (head?.kind === 'ident') {
            piped = [this.call(head.name, [...args.map((a) => this.eval(a, scope)), ...piped], scope)];
          } else if (head?.kind === 'field' && head.path.join('.') === 'Files.Get') {
            piped = [this.filesGet([...args.map((a) => this.eval(a, scope)), ...piped], scope)];
          } else if (i === 0 && command.length === 1 && head) {
            piped = [this.eval(head, scope)];
          } else {
            throw new TemplateError(`cannot call a non-function in pipeline ${describe(expr)}`);
          }
        }
        return piped[0];
      }
    }
  }

  /** `.Files.Get "path"`: the file's text; like Helm, an empty string for a file the chart lacks. */
  private filesGet(args: Value[], scope: Scope): Value {
    if (args.length !== 1) throw new TemplateError(`.Files.Get expects 1 argument, got ${args.length}`);
    const files = (scope.root as { Files?: Record<string, string> }).Files ?? {};
    const name = asString(args[0], '.Files.Get');
    if (!(name in files)) throw new TemplateError(`.Files.Get "${name}": no such file in the chart`);
    return files[name]!;
  }

  private call(name: string, args: Value[], scope: Scope): Value {
    const arity = (n: number): void => {
      if (args.length !== n) throw new TemplateError(`${name} expects ${n} arguments, got ${args.length}`);
    };
    switch (name) {
      case 'include': {
        arity(2);
        const body = this.defines.get(asString(args[0], 'include'));
        if (!body) throw new TemplateError(`include of undefined template "${String(args[0])}"`);
        return this.render(body, { dot: args[1], root: scope.root });
      }
      case 'default':
        arity(2);
        return truthy(args[1]) ? args[1] : args[0];
      case 'fail':
        arity(1);
        throw new TemplateError(asString(args[0], 'fail'));
      case 'required':
        arity(2);
        if (!truthy(args[1])) throw new TemplateError(asString(args[0], 'required'));
        return args[1];
      case 'quote':
        return args
          .filter((a) => a !== null && a !== undefined)
          .map((a) => JSON.stringify(asString(a, 'quote')))
          .join(' ');
      case 'printf':
        return printf(asString(args[0], 'printf'), args.slice(1));
      case 'indent':
      case 'nindent': {
        arity(2);
        const text = indent(Number(args[0]), asString(args[1], name));
        return name === 'nindent' ? `\n${text}` : text;
      }
      case 'toYaml':
        arity(1);
        if (args[0] === undefined || args[0] === null) return 'null';
        return stringify(args[0], { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '');
      case 'trunc': {
        arity(2);
        const s = asString(args[1], 'trunc');
        return s.slice(0, Number(args[0]));
      }
      case 'trimSuffix': {
        arity(2);
        const [suffix, s] = [asString(args[0], 'trimSuffix'), asString(args[1], 'trimSuffix')];
        return suffix && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
      }
      case 'sha256sum':
        arity(1);
        return createHash('sha256').update(asString(args[0], 'sha256sum')).digest('hex');
      case 'or':
      case 'and': {
        // Go returns the deciding argument itself, which may be a falsy value.
        const i = args.findIndex((a) => truthy(a) === (name === 'or'));
        return i >= 0 ? args[i] : args.at(-1);
      }
      case 'not':
        arity(1);
        return !truthy(args[0]);
      case 'eq':
        arity(2);
        return args[0] === args[1];
      default:
        throw new TemplateError(`function "${name}" is not supported by this renderer`);
    }
  }
}

export type ChartTemplates = Record<string, string>;

/**
 * Renders every template of a chart the way `helm template` does: helpers
 * (`_*.tpl`) contribute only their `define`s, every other file is rendered with the
 * given context. Returns rendered text per file name.
 */
export function renderChart(templates: ChartTemplates, context: RenderContext): Record<string, string> {
  const defines = new Map<string, TemplateNode[]>();
  const parsed = new Map<string, TemplateNode[]>();
  for (const [name, source] of Object.entries(templates)) {
    parsed.set(name, parse(source, name, defines));
  }
  const renderer = new Renderer(defines);
  const out: Record<string, string> = {};
  for (const [name, nodes] of parsed) {
    if (name.split('/').at(-1)!.startsWith('_')) continue;
    const root = { ...context, Template: { Name: `templates/${name}`, BasePath: 'templates' } };
    try {
      out[name] = renderer.render(nodes, { dot: root, root });
    } catch (error) {
      throw new TemplateError(`failed to render templates/${name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return out;
}

/** Helm's value coalescing: maps merge key by key, `null` removes a key, anything else replaces. */
export function mergeValues(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(current)) out[key] = mergeValues(current, value);
    else out[key] = value;
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
