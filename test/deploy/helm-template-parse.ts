/**
 * Parser of the Go template subset that `helm-template.ts` renders: splits a file into
 * text and `{{ }}` actions (applying the trim markers), builds the if/with/range tree,
 * collects `define`s, and parses pipelines into expressions.
 */
export type Value = unknown;

export interface TextNode {
  kind: 'text';
  text: string;
}
export interface OutputNode {
  kind: 'output';
  expr: Expr;
}
export interface BranchNode {
  kind: 'if' | 'with' | 'range';
  expr: Expr;
  body: TemplateNode[];
  /** The `else` part; an `else if` chain nests another `if` node here. */
  elseBody: TemplateNode[];
}
export type TemplateNode = TextNode | OutputNode | BranchNode;

export type Expr =
  | { kind: 'literal'; value: Value }
  | { kind: 'field'; root: 'dot' | 'dollar'; path: string[] }
  | { kind: 'ident'; name: string }
  | { kind: 'pipeline'; commands: Expr[][] };

/** Raised for template syntax this renderer does not implement or a failed evaluation. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

const ACTION = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;

interface RawAction {
  text: string;
}

/** Splits source into text and actions, applying the trim markers to neighbouring text. */
function lex(source: string, file: string): Array<string | RawAction> {
  const parts: Array<string | RawAction> = [];
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(ACTION)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    parts.push(text);
    const body = (m[2] ?? '').trim();
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) throw new TemplateError(`${file}: unterminated comment "${body}"`);
    } else {
      parts.push({ text: body });
    }
    trimNext = Boolean(m[3]);
    last = (m.index ?? 0) + m[0].length;
  }
  let tail = source.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  parts.push(tail);
  return parts;
}

const TOKEN =
  /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)(?![\w.])|(\$?(?:\.[A-Za-z_][\w]*)+|\$|\.)|([A-Za-z_]\w*)|(\(|\)|\|)|(:=|,))/y;

type Token =
  { t: 'lit'; v: Value } | { t: 'field'; v: string } | { t: 'ident'; v: string } | { t: 'punct'; v: string };

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new TemplateError(`${file}: cannot parse "${text}" at "${text.slice(pos)}"`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) tokens.push({ t: 'lit', v: JSON.parse(m[1]) as string });
    else if (m[2] !== undefined) tokens.push({ t: 'lit', v: m[2].slice(1, -1) });
    else if (m[3] !== undefined) tokens.push({ t: 'lit', v: Number(m[3]) });
    else if (m[4] !== undefined) tokens.push({ t: 'field', v: m[4] });
    else if (m[5] !== undefined) {
      if (m[5] === 'true' || m[5] === 'false') tokens.push({ t: 'lit', v: m[5] === 'true' });
      else if (m[5] === 'nil') tokens.push({ t: 'lit', v: null });
      else tokens.push({ t: 'ident', v: m[5] });
    } else if (m[6] !== undefined) tokens.push({ t: 'punct', v: m[6] });
    else throw new TemplateError(`${file}: variables are not supported in "${text}"; use "." or "$"`);
  }
  return tokens;
}

function parseExpr(text: string, file: string): Expr {
  const tokens = tokenize(text, file);
  let i = 0;
  const pipeline = (): Expr => {
    const commands: Expr[][] = [[]];
    while (i < tokens.length) {
      const tok = tokens[i]!;
      if (tok.t === 'punct' && tok.v === ')') break;
      i++;
      if (tok.t === 'punct' && tok.v === '|') commands.push([]);
      else if (tok.t === 'punct' && tok.v === '(') {
        commands.at(-1)!.push(pipeline());
        const close = tokens[i++];
        if (!close || close.t !== 'punct' || close.v !== ')')
          throw new TemplateError(`${file}: missing ")" in "${text}"`);
      } else if (tok.t === 'lit') commands.at(-1)!.push({ kind: 'literal', value: tok.v });
      else if (tok.t === 'ident') commands.at(-1)!.push({ kind: 'ident', name: tok.v });
      else if (tok.t === 'field') {
        const dollar = tok.v.startsWith('$');
        const rest = dollar ? tok.v.slice(1) : tok.v;
        const path = rest === '.' || rest === '' ? [] : rest.slice(1).split('.');
        commands.at(-1)!.push({ kind: 'field', root: dollar ? 'dollar' : 'dot', path });
      } else throw new TemplateError(`${file}: unexpected "${tok.v}" in "${text}"`);
    }
    if (commands.some((c) => c.length === 0)) throw new TemplateError(`${file}: empty command in "${text}"`);
    return { kind: 'pipeline', commands };
  };
  const expr = pipeline();
  if (i !== tokens.length) throw new TemplateError(`${file}: unbalanced ")" in "${text}"`);
  return expr;
}

/** Parses one template file; `defines` collects its `define` blocks. */
export function parse(source: string, file: string, defines: Map<string, TemplateNode[]>): TemplateNode[] {
  const parts = lex(source, file);
  let index = 0;
  // Returns the nodes up to a closing keyword and that keyword's action text.
  const block = (): { nodes: TemplateNode[]; closer: string | null } => {
    const nodes: TemplateNode[] = [];
    while (index < parts.length) {
      const part = parts[index++]!;
      if (typeof part === 'string') {
        if (part) nodes.push({ kind: 'text', text: part });
        continue;
      }
      const [keyword = '', ...restWords] = part.text.split(/\s+/);
      const rest = part.text.slice(keyword.length).trim();
      if (keyword === 'end' || keyword === 'else') return { nodes, closer: part.text };
      if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
        if (keyword === 'range' && rest.includes(':=')) {
          throw new TemplateError(`${file}: range with variables is not supported: "${part.text}"`);
        }
        nodes.push(branch(keyword, rest));
      } else if (keyword === 'define') {
        const name = JSON.parse(rest) as string;
        const { nodes: body, closer } = block();
        if (closer !== 'end') throw new TemplateError(`${file}: define "${name}" is not closed by {{ end }}`);
        defines.set(name, body);
      } else if (['template', 'block', 'break', 'continue'].includes(keyword) || restWords.includes(':=')) {
        throw new TemplateError(`${file}: "${part.text}" is not supported by this renderer`);
      } else {
        nodes.push({ kind: 'output', expr: parseExpr(part.text, file) });
      }
    }
    return { nodes, closer: null };
  };
  const branch = (kind: BranchNode['kind'], exprText: string): BranchNode => {
    const node: BranchNode = { kind, expr: parseExpr(exprText, file), body: [], elseBody: [] };
    const { nodes, closer } = block();
    node.body = nodes;
    if (closer === null) throw new TemplateError(`${file}: {{ ${kind} ${exprText} }} is not closed`);
    if (closer === 'else') {
      const { nodes: elseNodes, closer: end } = block();
      if (end !== 'end')
        throw new TemplateError(`${file}: {{ else }} of "${kind} ${exprText}" is not closed`);
      node.elseBody = elseNodes;
    } else if (closer.startsWith('else if ')) {
      if (kind !== 'if') throw new TemplateError(`${file}: "else if" after "${kind}" is not supported`);
      node.elseBody = [branch('if', closer.slice('else if '.length))];
    } else if (closer !== 'end') {
      throw new TemplateError(`${file}: unexpected {{ ${closer} }}`);
    }
    return node;
  };
  const { nodes, closer } = block();
  if (closer !== null) throw new TemplateError(`${file}: unexpected {{ ${closer} }} at top level`);
  return nodes;
}

/** An expression as written, for messages. */
export function describe(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      return JSON.stringify(expr.value);
    case 'field':
      return `${expr.root === 'dollar' ? '$' : ''}.${expr.path.join('.')}`;
    case 'ident':
      return expr.name;
    case 'pipeline':
      return expr.commands.map((c) => c.map(describe).join(' ')).join(' | ');
  }
}

/** Template files of a chart, keyed by their path relative to `templates/`. */
