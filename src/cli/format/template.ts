/**
 * A Go text/template engine for `--format` and `inspect -f`: the lexer, parser and
 * evaluator follow Go's text/template closely, with its error messages, so that Docker's
 * format strings behave (and fail) the same way.
 *
 * Supported: text and actions with trim markers ({{- -}}) and comments; fields (.A.B),
 * `.`, variables ($, $x := ..., $x = ...), literals (strings, raw strings, characters,
 * numbers, true/false/nil), pipelines (a | f), parenthesized pipelines, chained fields
 * ((index .A 0).B); if/else if/else, range (arrays, maps by sorted key, integers, with
 * $i, $v := and else), with/else, break/continue; Go's builtins and, or, not, len, index,
 * slice, print, printf, println, eq, ne, lt, le, gt, ge; and caller functions (Docker's
 * json, join, split, lower, upper, title, pad, truncate: see `dockerFuncs`).
 * Not supported: define, template, block (a parse error).
 *
 * Data is plain JSON-like values. Plain objects are Go maps (a missing key prints
 * "<no value>", or fails with missingKey 'error'); objects marked with GO_TYPE are
 * structs (an unknown field fails: "can't evaluate field X in type T"); function-valued
 * properties are methods.
 */
import { GoNil, goKind } from './values';
import { formatValue, goTypeName, NO_VALUE, sprint, sprintf, sprintln, GO_TYPE } from './gofmt';
import { goJson } from './json';

export { NO_VALUE, GO_TYPE };

/** A parse error: "template: :1: unclosed action". */
export class TemplateParseError extends Error {}
/** An execution error: `template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`. */
export class TemplateExecError extends Error {}

// ---------------------------------------------------------------------------------------
// Lexer

type T =
  | 'error'
  | 'eof'
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'field'
  | 'variable'
  | 'identifier'
  | 'dot'
  | 'bool'
  | 'number'
  | 'charConstant'
  | 'string'
  | 'rawString'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'assign'
  | 'declare'
  | 'char'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

const KEYWORDS = new Set<T>(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with']);

interface Token {
  typ: T;
  val: string;
  pos: number;
  line: number;
}

function tokenString(t: Token): string {
  if (t.typ === 'eof') return 'EOF';
  if (t.typ === 'error') return t.val;
  if (KEYWORDS.has(t.typ)) return `<${t.val}>`;
  if (t.val.length > 10) return goQuoteN(t.val, 10) + '...';
  return JSON.stringify(t.val);
}

/** Go's "%.10q": the first n characters, quoted. */
function goQuoteN(s: string, n: number): string {
  return JSON.stringify(Array.from(s).slice(0, n).join(''));
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined) => c !== undefined && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c));

function charU(c: string | undefined): string {
  if (c === undefined) return 'U+FFFFFFFF';
  const cp = c.codePointAt(0) as number;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

function lex(input: string): Token[] {
  const L = '{{';
  const R = '}}';
  const out: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  const lineAt = (p: number) => 1 + (input.slice(0, p).match(/\n/g)?.length ?? 0);
  const emit = (typ: T, val = input.slice(start, pos)) => {
    out.push({ typ, val, pos: start, line: lineAt(start) });
    start = pos;
  };
  const error = (msg: string) => {
    out.push({ typ: 'error', val: msg, pos: start, line: lineAt(pos) });
  };
  const hasLeftTrim = (p: number) => input[p] === '-' && isSpace(input[p + 1]);
  const hasRightTrim = (p: number) => isSpace(input[p]) && input[p + 1] === '-';
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrim(pos) && input.startsWith(R, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(R, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const leftTrimLength = (p: number) => {
    let n = 0;
    while (isSpace(input[p + n])) n++;
    return n;
  };
  const atTerminator = () => {
    const r = input[pos];
    if (r === undefined || isSpace(r)) return true;
    if ('.,|:)('.includes(r)) return true;
    return input.startsWith(R, pos);
  };
  const nextChar = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const c = String.fromCodePoint(input.codePointAt(pos) as number);
    pos += c.length;
    return c;
  };

  // state: text
  for (;;) {
    // ---- lexText
    const x = input.indexOf(L, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      out.push({ typ: 'eof', val: '', pos, line: lineAt(pos) });
      return out;
    }
    if (x > pos) {
      pos = x;
      let trimLength = 0;
      if (hasLeftTrim(x + L.length)) {
        let e = pos;
        while (e > start && isSpace(input[e - 1])) e--;
        trimLength = pos - e;
      }
      pos -= trimLength;
      if (pos > start) emit('text');
      pos += trimLength;
      start = pos;
    }
    // ---- lexLeftDelim
    pos += L.length;
    const trimSpace = hasLeftTrim(pos);
    const afterMarker = trimSpace ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      // ---- lexComment
      pos += afterMarker;
      start = pos;
      pos += 2;
      const e = input.indexOf('*/', pos);
      if (e < 0) {
        error('unclosed comment');
        return finish(out, input);
      }
      pos = e + 2;
      const rd = atRightDelim();
      if (!rd.delim) {
        error('comment ends before closing delimiter');
        return finish(out, input);
      }
      if (rd.trim) pos += 2;
      pos += R.length;
      if (rd.trim) pos += leftTrimLength(pos);
      start = pos;
      continue;
    }
    emit('leftDelim', L);
    pos += afterMarker;
    start = pos;
    parenDepth = 0;
    // ---- lexInsideAction
    let failed = false;
    for (;;) {
      const rd = atRightDelim();
      if (rd.delim) {
        if (parenDepth !== 0) {
          error('unclosed left paren');
          failed = true;
          break;
        }
        // lexRightDelim
        if (rd.trim) {
          pos += 2;
          start = pos;
        }
        pos += R.length;
        emit('rightDelim', R);
        if (rd.trim) {
          pos += leftTrimLength(pos);
          start = pos;
        }
        break;
      }
      const r = nextChar();
      if (r === undefined) {
        error('unclosed action');
        failed = true;
        break;
      }
      if (isSpace(r)) {
        // lexSpace
        pos -= r.length;
        let numSpaces = 0;
        while (isSpace(input[pos])) {
          pos++;
          numSpaces++;
        }
        if (hasRightTrim(pos - 1) && input.startsWith(R, pos - 1 + 2)) {
          pos--; // before the space of " -}}"
          if (numSpaces === 1) continue;
        }
        emit('space');
        continue;
      }
      if (r === '=') {
        emit('assign');
      } else if (r === ':') {
        if (nextChar() !== '=') {
          error('expected :=');
          failed = true;
          break;
        }
        emit('declare');
      } else if (r === '|') {
        emit('pipe');
      } else if (r === '"') {
        // lexQuote
        let ok = false;
        for (;;) {
          const c = nextChar();
          if (c === '\\') {
            const d = nextChar();
            if (d !== undefined && d !== '\n') continue;
            break;
          }
          if (c === undefined || c === '\n') break;
          if (c === '"') {
            ok = true;
            break;
          }
        }
        if (!ok) {
          error('unterminated quoted string');
          failed = true;
          break;
        }
        emit('string');
      } else if (r === '`') {
        const e = input.indexOf('`', pos);
        if (e < 0) {
          error('unterminated raw quoted string');
          failed = true;
          break;
        }
        pos = e + 1;
        emit('rawString');
      } else if (r === '$' || (r === '.' && !(input[pos] >= '0' && input[pos] <= '9'))) {
        // lexFieldOrVariable
        const typ: T = r === '$' ? 'variable' : 'field';
        if (atTerminator()) {
          emit(typ === 'variable' ? 'variable' : 'dot');
          continue;
        }
        let c: string | undefined;
        for (;;) {
          c = nextChar();
          if (!isAlphaNumeric(c)) {
            if (c !== undefined) pos -= c.length;
            break;
          }
        }
        if (!atTerminator()) {
          error(`bad character ${charU(input[pos])}`);
          failed = true;
          break;
        }
        emit(typ);
      } else if (r === "'") {
        let ok = false;
        for (;;) {
          const c = nextChar();
          if (c === '\\') {
            const d = nextChar();
            if (d !== undefined && d !== '\n') continue;
            break;
          }
          if (c === undefined || c === '\n') break;
          if (c === "'") {
            ok = true;
            break;
          }
        }
        if (!ok) {
          error('unterminated character constant');
          failed = true;
          break;
        }
        emit('charConstant');
      } else if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
        pos -= 1;
        if (!scanNumber()) {
          error(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
          failed = true;
          break;
        }
        emit('number');
      } else if (isAlphaNumeric(r)) {
        pos -= r.length;
        let c: string | undefined;
        for (;;) {
          c = nextChar();
          if (!isAlphaNumeric(c)) {
            if (c !== undefined) pos -= c.length;
            break;
          }
        }
        const word = input.slice(start, pos);
        if (!atTerminator()) {
          error(`bad character ${charU(input[pos])}`);
          failed = true;
          break;
        }
        if (KEYWORDS.has(word as T)) emit(word as T);
        else if (word === 'true' || word === 'false') emit('bool');
        else emit('identifier');
      } else if (r === '(') {
        emit('leftParen');
        parenDepth++;
      } else if (r === ')') {
        parenDepth--;
        if (parenDepth < 0) {
          error('unexpected right paren');
          failed = true;
          break;
        }
        emit('rightParen');
      } else if ((r.codePointAt(0) as number) < 0x80 && /^[\x20-\x7e]$/.test(r)) {
        emit('char');
      } else {
        error(`unrecognized character in action: ${charU(r)}`);
        failed = true;
        break;
      }
    }
    if (failed) return finish(out, input);
  }

  function scanNumber(): boolean {
    const accept = (valid: string) => {
      if (pos < input.length && valid.includes(input[pos])) {
        pos++;
        return true;
      }
      return false;
    };
    const acceptRun = (valid: string) => {
      while (pos < input.length && valid.includes(input[pos])) pos++;
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(input[pos])) {
      pos++;
      return false;
    }
    return true;
  }
}

function finish(out: Token[], input: string): Token[] {
  out.push({ typ: 'eof', val: '', pos: input.length, line: 0 });
  return out;
}

// ---------------------------------------------------------------------------------------
// Parse tree

interface Base {
  pos: number;
}
interface ListNode extends Base {
  t: 'list';
  nodes: Node[];
}
interface TextNode extends Base {
  t: 'text';
  text: string;
}
interface ActionNode extends Base {
  t: 'action';
  pipe: PipeNode;
}
interface ControlNode extends Base {
  t: 'if' | 'range' | 'with';
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
interface BreakNode extends Base {
  t: 'break' | 'continue';
}
interface EndNode extends Base {
  t: 'end' | 'else';
}
interface PipeNode extends Base {
  t: 'pipe';
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
interface CommandNode extends Base {
  t: 'command';
  args: ArgNode[];
}
interface FieldNode extends Base {
  t: 'field';
  ident: string[];
}
interface VariableNode extends Base {
  t: 'variable';
  ident: string[];
}
interface ChainNode extends Base {
  t: 'chain';
  node: ArgNode;
  field: string[];
}
interface IdentifierNode extends Base {
  t: 'identifier';
  name: string;
}
interface DotNode extends Base {
  t: 'dot';
}
interface NilNode extends Base {
  t: 'nil';
}
interface BoolNode extends Base {
  t: 'bool';
  value: boolean;
}
interface NumberNode extends Base {
  t: 'number';
  text: string;
  value: number;
  isFloat: boolean;
}
interface StringNode extends Base {
  t: 'string';
  quoted: string;
  value: string;
}
type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;
type Node = ListNode | TextNode | ActionNode | ControlNode | BreakNode | EndNode;

function nodeString(n: ArgNode | CommandNode | Node): string {
  switch (n.t) {
    case 'field':
      return '.' + n.ident.join('.');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const inner = n.node.t === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + '.' + n.field.join('.');
    }
    case 'identifier':
      return n.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'pipe': {
      let s = '';
      if (n.decl.length) s = n.decl.map((d) => nodeString(d)).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map((c) => nodeString(c)).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.t === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'text':
      return n.text;
    case 'list':
      return n.nodes.map((x) => nodeString(x)).join('');
    default:
      return `{{${n.t} ${nodeString(n.pipe)}}}`;
  }
}

const BUILTIN_NAMES = ['and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

class Parser {
  private i = 0;
  private last: Token;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly toks: Token[],
    private readonly hasFunction: (name: string) => boolean,
  ) {
    this.last = toks[0];
  }

  private next(): Token {
    const t = this.toks[Math.min(this.i, this.toks.length - 1)];
    this.i++;
    this.last = t;
    return t;
  }
  private backup(n = 1): void {
    this.i -= n;
  }
  private peek(): Token {
    return this.toks[Math.min(this.i, this.toks.length - 1)];
  }
  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.typ === 'space');
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  errorf(msg: string): never {
    throw new TemplateParseError(`template: :${this.last.line || this.lastLine()}: ${msg}`);
  }
  private lastLine(): number {
    for (let k = Math.min(this.i, this.toks.length) - 1; k >= 0; k--) if (this.toks[k].line) return this.toks[k].line;
    return 1;
  }
  private unexpected(t: Token, context: string): never {
    if (t.typ === 'error') this.errorf(t.val);
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }
  private expect(typ: T, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }

  parse(): ListNode {
    const root: ListNode = { t: 'list', pos: 0, nodes: [] };
    while (this.peek().typ !== 'eof') {
      if (this.peek().typ === 'leftDelim') {
        const delim = this.next();
        const t = this.nextNonSpace();
        if (t.typ === 'define' || t.typ === 'template' || t.typ === 'block') this.errorf(`{{${t.val}}} is not supported`);
        this.i = this.toks.indexOf(delim);
      }
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  private textOrAction(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'text':
        return { t: 'text', pos: t.pos, text: t.val };
      case 'leftDelim':
        return this.action();
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'block':
      case 'define':
      case 'template':
        this.errorf(`{{${t.val}}} is not supported`);
      // falls through (errorf throws)
      case 'break':
      case 'continue': {
        const tt = this.nextNonSpace();
        if (tt.typ !== 'rightDelim') this.unexpected(tt, `{{${t.val}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${t.val}}} outside {{range}}`);
        return { t: t.typ, pos: t.pos };
      }
      case 'else':
        return this.elseControl();
      case 'end':
        return { t: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return this.control('if');
      case 'range':
        return this.control('range');
      case 'with':
        return this.control('with');
    }
    this.backup();
    const pipe = this.pipeline('command', 'rightDelim');
    return { t: 'action', pos: t.pos, pipe };
  }

  private elseControl(): Node {
    const p = this.peekNonSpace();
    if (p.typ === 'if' || p.typ === 'with') return { t: 'else', pos: p.pos };
    const t = this.expect('rightDelim', 'else');
    return { t: 'else', pos: t.pos };
  }

  private control(context: 'if' | 'range' | 'with'): ControlNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.t === 'else') {
        const p = this.peek();
        if ((context === 'if' && p.typ === 'if') || (context === 'with' && p.typ === 'with')) {
          // "{{else if ...}}" and "{{else with ...}}": a nested control sharing our {{end}}.
          this.next();
          elseList = { t: 'list', pos: next.pos, nodes: [this.control(context)] };
        } else {
          [elseList, next] = this.itemList();
          if (next.t !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { t: context, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private itemList(): [ListNode, Node] {
    const list: ListNode = { t: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== 'eof') {
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') return [list, n];
      list.nodes.push(n);
    }
    // A lexer error ends the token stream early: report it rather than the EOF.
    const err = this.toks.find((t) => t.typ === 'error');
    if (err) this.errorf(err.val);
    this.errorf('unexpected EOF');
  }

  private pipeline(context: string, end: T): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { t: 'pipe', pos: first.pos, isAssign: false, decl: [], cmds: [] };
    // declarations or assignments
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== 'variable') break;
      const before = this.i;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.typ === 'assign' || next.typ === 'declare') {
        pipe.isAssign = next.typ === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ t: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.typ === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ t: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = before;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, k) => {
      const a = c.args[0];
      if (a.t === 'bool' || a.t === 'dot' || a.t === 'nil' || a.t === 'number' || a.t === 'string') {
        this.errorf(`non executable command in pipeline stage ${k + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { t: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === 'space') continue;
      if (t.typ === 'rightDelim' || t.typ === 'rightParen') this.backup();
      else if (t.typ !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().typ !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
    switch (node.t) {
      case 'field':
        return { t: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { t: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
    }
    return { t: 'chain', pos, node, field: fields };
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'identifier':
        if (!this.hasFunction(t.val)) this.errorf(`function ${JSON.stringify(t.val)} not defined`);
        return { t: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { t: 'dot', pos: t.pos };
      case 'nil':
        return { t: 'nil', pos: t.pos };
      case 'variable': {
        const name = t.val.split('.')[0];
        if (!this.vars.includes(name)) this.errorf(`undefined variable ${JSON.stringify(name)}`);
        return { t: 'variable', pos: t.pos, ident: [t.val] };
      }
      case 'field':
        return { t: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { t: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'number':
        return this.number(t);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { t: 'string', pos: t.pos, quoted: t.val, value: unquote(t.val, (m) => this.errorf(m)) };
    }
    this.backup();
    return undefined;
  }

  private number(t: Token): NumberNode {
    const text = t.val;
    if (t.typ === 'charConstant') {
      const s = unquote('"' + text.slice(1, -1).replace(/"/g, '\\"') + '"', (m) => this.errorf(m));
      const cps = Array.from(s);
      if (cps.length !== 1) this.errorf(`malformed character constant: ${text}`);
      return { t: 'number', pos: t.pos, text, value: cps[0].codePointAt(0) as number, isFloat: false };
    }
    if (text.endsWith('i')) this.errorf(`complex numbers are not supported: ${JSON.stringify(text)}`);
    const clean = text.replace(/_/g, '');
    let value: number;
    let isFloat = false;
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(clean) || /^[+-]?0[bB][01]+$/.test(clean) || /^[+-]?0[oO][0-7]+$/.test(clean)) {
      const neg = clean.startsWith('-');
      value = Number(clean.replace(/^[+-]/, '')) * (neg ? -1 : 1);
    } else if (/^[+-]?0[0-7]+$/.test(clean)) {
      value = parseInt(clean, 8);
    } else if (/^[+-]?\d+$/.test(clean)) {
      value = Number(clean);
    } else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) {
      value = Number(clean);
      isFloat = true;
    } else {
      this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
    }
    return { t: 'number', pos: t.pos, text, value, isFloat };
  }
}

/** strconv.Unquote for "..." and `...` literals. */
function unquote(q: string, fail: (msg: string) => never): string {
  if (q.startsWith('`')) return q.slice(1, -1).replace(/\r/g, '');
  const body = q.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case "'":
        out += "'";
        break;
      case 'x': {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) fail('invalid syntax');
        out += String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) fail('invalid syntax');
        out += String.fromCodePoint(parseInt(h, 16));
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          const o = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(o)) fail('invalid syntax');
          out += String.fromCharCode(parseInt(o, 8));
          i += 2;
          break;
        }
        fail('invalid syntax');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Functions

/** A template function. `args` are the evaluated arguments; it may throw an Error. */
export interface TemplateFunc {
  fn: (...args: any[]) => unknown;
  /** the number of parameters; with `variadic`, the last one takes any number */
  params: ParamType[];
  variadic?: boolean;
}

/** Go parameter types the engine checks arguments against. */
export type ParamType = 'any' | 'string' | 'int';

export type FuncMap = Record<string, TemplateFunc>;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

/** Go's truth of a value for if/with/and/or/not. */
export function isTrue(v: unknown): boolean {
  if (v === NO_VALUE || v === undefined || v === null) return false;
  if (v instanceof GoNil) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'string':
      return v.length > 0;
    case 'function':
      return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  const kind = goKind(v);
  if (kind === 'struct' || kind === 'ptr' || isStructValue(v)) return true;
  return Object.keys(v as object).length > 0;
}

function isStructValue(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as Record<symbol, unknown>)[GO_TYPE] === 'string';
}

function basicKind(v: unknown): 'bool' | 'number' | 'string' | 'nil' | undefined {
  if (v === null || v === undefined || v === NO_VALUE || v instanceof GoNil) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return undefined;
}

function eq(arg1: unknown, ...args: unknown[]): boolean {
  if (args.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const a of args) {
    const k2 = basicKind(a);
    if (k1 === undefined || k2 === undefined) {
      if (k1 === 'nil' || k2 === 'nil') {
        if (k1 === k2) return true;
        continue;
      }
      throw new Error(`non-comparable type ${formatValue(k1 === undefined ? arg1 : a, false)}: ${goTypeName(k1 === undefined ? arg1 : a)}`);
    }
    if (k1 !== k2) {
      if (k1 === 'nil' || k2 === 'nil') continue;
      throw new Error('incompatible types for comparison');
    }
    if (k1 === 'nil' || arg1 === a) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (ka === 'number') return (a as number) < (b as number);
  if (ka === 'string') return (a as string) < (b as string);
  throw new Error('invalid type for comparison');
}

function length(v: unknown): number {
  if (v === null || v === undefined || v === NO_VALUE) throw new Error('len of nil pointer');
  if (v instanceof GoNil) return 0;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object' && !isStructValue(v) && goKind(v) !== 'struct' && goKind(v) !== 'ptr') return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function indexArg(i: unknown, cap: number): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new Error(`cannot index slice/array with type ${goTypeName(i)}`);
  if (i < 0 || i >= cap) throw new Error(`index out of range: ${i}`);
  return i;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  let v = item;
  if (v === null || v === undefined || v === NO_VALUE) throw new Error('index of untyped nil');
  for (const i of indexes) {
    if (v === null || v === undefined || v === NO_VALUE) throw new Error('index of nil pointer');
    if (v instanceof GoNil) {
      if (v.kind === 'map') return NO_VALUE;
      throw new Error(`index out of range: ${formatValue(i)}`);
    }
    if (typeof v === 'string') {
      v = Buffer.from(v, 'utf8')[indexArg(i, Buffer.byteLength(v, 'utf8'))];
    } else if (Array.isArray(v)) {
      v = v[indexArg(i, v.length)];
    } else if (typeof v === 'object' && !isStructValue(v)) {
      if (typeof i !== 'string') throw new Error(`value has type ${goTypeName(i)}; should be string`);
      v = Object.prototype.hasOwnProperty.call(v, i) ? (v as Record<string, unknown>)[i] : NO_VALUE;
    } else {
      throw new Error(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
  const n = (x: unknown) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new Error(`cannot index slice/array with type ${goTypeName(x)}`);
    return x;
  };
  if (typeof item === 'string') {
    if (idx.length === 3) throw new Error('cannot 3-index slice a string');
    const b = Buffer.from(item, 'utf8');
    const i = idx.length > 0 ? n(idx[0]) : 0;
    const j = idx.length > 1 ? n(idx[1]) : b.length;
    if (i < 0 || j < i || j > b.length) throw new Error(`index out of range: ${j > b.length ? j : i}`);
    return b.subarray(i, j).toString('utf8');
  }
  if (Array.isArray(item)) {
    const i = idx.length > 0 ? n(idx[0]) : 0;
    const j = idx.length > 1 ? n(idx[1]) : item.length;
    if (i < 0 || j < i || j > item.length) throw new Error(`index out of range: ${j > item.length ? j : i}`);
    return item.slice(i, j);
  }
  if (item instanceof GoNil && item.kind === 'slice') return item;
  throw new Error(`can't slice item of type ${goTypeName(item)}`);
}

const BUILTINS: FuncMap = {
  not: { fn: (a: unknown) => !isTrue(a), params: ['any'] },
  len: { fn: length, params: ['any'] },
  index: { fn: index, params: ['any', 'any'], variadic: true },
  slice: { fn: slice, params: ['any', 'any'], variadic: true },
  print: { fn: (...a: unknown[]) => sprint(a), params: ['any'], variadic: true },
  println: { fn: (...a: unknown[]) => sprintln(a), params: ['any'], variadic: true },
  printf: { fn: (f: string, ...a: unknown[]) => sprintf(f, a), params: ['string', 'any'], variadic: true },
  eq: { fn: eq, params: ['any', 'any'], variadic: true },
  ne: { fn: (a: unknown, b: unknown) => !eq(a, b), params: ['any', 'any'] },
  lt: { fn: lt, params: ['any', 'any'] },
  le: { fn: (a: unknown, b: unknown) => lt(a, b) || eq(a, b), params: ['any', 'any'] },
  gt: { fn: (a: unknown, b: unknown) => !lt(a, b) && !eq(a, b), params: ['any', 'any'] },
  ge: { fn: (a: unknown, b: unknown) => !lt(a, b), params: ['any', 'any'] },
};

// Go's strings.Title: the first letter of every word upper-cased.
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(c: string): boolean {
  const cp = c.codePointAt(0) as number;
  if (cp <= 0x7f) {
    if (/[0-9a-zA-Z_]/.test(c)) return false;
    return true;
  }
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
}

function join(elems: unknown, sep: string): string {
  if (elems === null || elems === undefined || elems === NO_VALUE || elems instanceof GoNil) return '';
  if (Array.isArray(elems)) return elems.map((e) => (typeof e === 'string' ? e : formatValue(e, false))).join(sep);
  if (typeof elems === 'object' && !isStructValue(elems)) {
    return Object.values(elems as object)
      .map((e) => formatValue(e, false))
      .sort()
      .join(sep);
  }
  throw new Error(`expected slice, got ${goTypeName(elems)}`);
}

/** Docker's template functions (docker/cli templates.basicFunctions). */
export const dockerFuncs: FuncMap = {
  json: { fn: (v: unknown) => goJson(v === NO_VALUE ? null : v, { escapeHTML: false }), params: ['any'] },
  split: { fn: (s: string, sep: string) => (sep === '' ? Array.from(s) : s.split(sep)), params: ['string', 'string'] },
  join: { fn: join, params: ['any', 'string'] },
  title: { fn: title, params: ['string'] },
  lower: { fn: (s: string) => s.toLowerCase(), params: ['string'] },
  upper: { fn: (s: string) => s.toUpperCase(), params: ['string'] },
  pad: { fn: (s: string, a: number, b: number) => (s === '' ? s : ' '.repeat(Math.max(0, a)) + s + ' '.repeat(Math.max(0, b))), params: ['string', 'int', 'int'] },
  truncate: {
    fn: (s: string, n: number) => {
      const b = Buffer.from(s, 'utf8');
      return b.length < n ? s : b.subarray(0, Math.max(0, n)).toString('utf8');
    },
    params: ['string', 'int'],
  },
};

/**
 * Docker's header functions: a table's header row is the same template run over the
 * column names, with the functions that would change a name made identities.
 */
export const dockerHeaderFuncs: FuncMap = {
  ...dockerFuncs,
  json: { fn: (v: unknown) => v, params: ['any'] },
  split: { fn: (v: unknown) => v, params: ['any', 'string'] },
  join: { fn: (v: unknown) => v, params: ['any', 'string'] },
  title: { fn: (v: unknown) => v, params: ['any'] },
  lower: { fn: (v: unknown) => v, params: ['any'] },
  upper: { fn: (v: unknown) => v, params: ['any'] },
  truncate: { fn: (v: unknown) => v, params: ['any', 'int'] },
};

// ---------------------------------------------------------------------------------------
// Execution

export interface ExecuteOptions {
  funcs?: FuncMap;
  /** what a missing map key gives: "<no value>" (default), Go's zero value, or an error */
  missingKey?: 'default' | 'zero' | 'error';
}

interface Variable {
  name: string;
  value: unknown;
}

class State {
  node: { pos: number; str: string } | undefined;
  vars: Variable[];
  out = '';

  constructor(
    readonly src: string,
    readonly funcs: FuncMap,
    readonly missingKey: 'default' | 'zero' | 'error',
    root: unknown,
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  at(n: ArgNode | CommandNode | Node): void {
    this.node = { pos: n.pos, str: nodeString(n) };
  }

  errorf(msg: string): never {
    if (!this.node) throw new TemplateExecError(`template: : ${msg}`);
    const text = this.src.slice(0, this.node.pos);
    const nl = text.lastIndexOf('\n');
    const col = nl < 0 ? this.node.pos : this.node.pos - (nl + 1);
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    let ctx = this.node.str;
    if (Array.from(ctx).length > 20) ctx = Array.from(ctx).slice(0, 20).join('') + '...';
    throw new TemplateExecError(`template: :${line}:${col}: executing "" at <${ctx}>: ${msg}`);
  }

  varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(`undefined variable: ${name}`);
  }

  setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, n: Node): void {
    switch (n.t) {
      case 'list':
        for (const x of n.nodes) this.walk(dot, x);
        return;
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) {
          this.at(n);
          this.out += formatValue(v, true);
        }
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        try {
          const v = this.evalPipeline(dot, n.pipe);
          if (isTrue(v)) this.walk(n.t === 'with' ? v : dot, n.list);
          else if (n.elseList) this.walk(dot, n.elseList);
        } finally {
          this.vars.length = mark;
        }
        return;
      }
      case 'range':
        this.walkRange(dot, n);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      default:
        this.errorf(`unknown node: ${nodeString(n)}`);
    }
  }

  private walkRange(dot: unknown, r: ControlNode): void {
    this.at(r);
    const mark = this.vars.length;
    try {
      // Evaluate the commands; the declared variables are set per iteration.
      const pipe = r.pipe;
      let val: unknown = NO_VALUE;
      let final: unknown = NONE;
      for (const cmd of pipe.cmds) {
        val = this.evalCommand(dot, cmd, final);
        final = val;
      }
      if (!pipe.isAssign) for (const d of pipe.decl) this.vars.push({ name: d.ident[0], value: val });
      const bodyMark = this.vars.length;
      const one = (key: unknown, elem: unknown): boolean => {
        if (pipe.decl.length > 0) {
          if (pipe.isAssign) {
            if (pipe.decl.length > 1) this.setVar(pipe.decl[0].ident[0], key);
            else this.setVar(pipe.decl[0].ident[0], elem);
          } else {
            this.vars[this.vars.length - 1].value = elem;
          }
        }
        if (pipe.decl.length > 1) {
          if (pipe.isAssign) this.setVar(pipe.decl[1].ident[0], elem);
          else this.vars[this.vars.length - 2].value = key;
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = bodyMark;
        }
        return true;
      };
      let iterated = false;
      if (Array.isArray(val)) {
        for (let i = 0; i < val.length; i++) {
          iterated = true;
          if (!one(i, val[i])) break;
        }
      } else if (typeof val === 'number' && Number.isInteger(val)) {
        if (pipe.decl.length > 1) {
          this.at(r);
          this.errorf(`can't use ${val} to iterate over more than one variable`);
        }
        for (let i = 0; i < val; i++) {
          iterated = true;
          if (!one(i, i)) break;
        }
      } else if (val === NO_VALUE || val === null || val === undefined || val instanceof GoNil) {
        // nothing to iterate: the else branch
      } else if (typeof val === 'object' && !isStructValue(val) && goKind(val) !== 'struct' && goKind(val) !== 'ptr') {
        const obj = val as Record<string, unknown>;
        for (const k of Object.keys(obj).sort()) {
          iterated = true;
          if (!one(k, obj[k])) break;
        }
      } else {
        this.at(r);
        this.errorf(`range can't iterate over ${formatValue(val, false)}`);
      }
      if (!iterated && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = NONE;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const d of pipe.decl) {
      if (pipe.isAssign) this.setVar(d.ident[0], value);
      else this.vars.push({ name: d.ident[0], value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: unknown): void {
    if (args.length > 1 || final !== NONE) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0];
    switch (first.t) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // falls through (errorf throws)
      case 'number':
        return first.value;
      case 'string':
        return first.value;
    }
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: unknown): unknown {
    this.at(chain);
    if (chain.node.t === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, chain.node, 'any');
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[], final: unknown): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: ArgNode, ident: string[], args: ArgNode[], final: unknown): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i], node, [], NONE, receiver);
    return this.evalField(dot, ident[n - 1], node, args, final, receiver);
  }

  private evalField(dot: unknown, name: string, node: ArgNode, args: ArgNode[], final: unknown, receiver: unknown): unknown {
    if (receiver === NO_VALUE || receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return NO_VALUE;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = args.length > 1 || final !== NONE;
    if (typeof receiver === 'object') {
      const method = (receiver as Record<string, unknown>)[name];
      if (typeof method === 'function' && !Object.prototype.hasOwnProperty.call(Object.prototype, name)) {
        return this.evalCall(dot, { fn: (...a: unknown[]) => (method as (...x: unknown[]) => unknown).apply(receiver, a), params: methodParams(method), variadic: false }, node, name, args, final);
      }
      if (receiver instanceof GoNil) {
        if (receiver.kind === 'map') return this.missing(name, hasArgs);
        if (receiver.kind === 'ptr') this.errorf(`nil pointer evaluating ${goTypeName(receiver)}.${name}`);
      } else if (!Array.isArray(receiver)) {
        // Only objects that name their Go type are structs here: Docker re-runs a failed
        // inspect template over the raw JSON, so a missing field of an inspected object
        // reads as a missing map key.
        if (isStructValue(receiver)) {
          if (name in receiver && !(name in Object.prototype)) {
            if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
            return (receiver as Record<string, unknown>)[name];
          }
        } else {
          if (Object.prototype.hasOwnProperty.call(receiver, name)) {
            if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
            return (receiver as Record<string, unknown>)[name];
          }
          return this.missing(name, hasArgs);
        }
      }
    }
    this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private missing(name: string, hasArgs: boolean): unknown {
    if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
    switch (this.missingKey) {
      case 'error':
        this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      // falls through (errorf throws)
      case 'zero':
        return null;
      default:
        return NO_VALUE;
    }
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: CommandNode | IdentifierNode, args: ArgNode[], final: unknown): unknown {
    this.at(node);
    const name = node.name;
    if (name === 'and' || name === 'or') return this.evalAndOr(dot, name, cmd, args, final);
    const f = this.funcs[name] ?? BUILTINS[name];
    if (!f) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, f, cmd, name, args, final);
  }

  private evalAndOr(dot: unknown, name: 'and' | 'or', cmd: CommandNode | IdentifierNode, args: ArgNode[], final: unknown): unknown {
    const operands = args.slice(1);
    const total = operands.length + (final !== NONE ? 1 : 0);
    if (total < 1) {
      this.at(cmd);
      this.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
    }
    let v: unknown = NONE;
    for (const a of operands) {
      v = this.evalArg(dot, a, 'any');
      if (isTrue(v) === (name === 'or')) return v;
    }
    if (final !== NONE) v = final;
    return v;
  }

  private evalCall(dot: unknown, f: TemplateFunc, node: ArgNode | CommandNode | IdentifierNode, name: string, args: ArgNode[], final: unknown): unknown {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== NONE ? 1 : 0);
    const numFixed = f.variadic ? f.params.length - 1 : f.params.length;
    if (f.variadic ? numIn < numFixed : numIn !== numFixed) {
      this.at(node);
      this.errorf(`wrong number of args for ${name}: want ${f.variadic ? 'at least ' : ''}${numFixed} got ${numIn}`);
    }
    const values: unknown[] = [];
    argNodes.forEach((a, i) => {
      const typ = f.params[Math.min(i, f.params.length - 1)];
      values.push(this.evalArg(dot, a, typ));
    });
    if (final !== NONE) {
      const typ = f.params[Math.min(values.length, f.params.length - 1)];
      values.push(this.checkType(final, typ));
    }
    try {
      return f.fn(...values);
    } catch (e) {
      if (e instanceof TemplateExecError || e instanceof TemplateParseError) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${(e as Error).message}`);
    }
  }

  private checkType(v: unknown, typ: ParamType): unknown {
    if (typ === 'any') return v === NONE ? NO_VALUE : v;
    if (typ === 'string' && typeof v !== 'string') {
      if (v === NO_VALUE || v === null || v === undefined) this.errorf('invalid value; expected string');
      this.errorf(`wrong type for value; expected string; got ${goTypeName(v)}`);
    }
    if (typ === 'int' && !(typeof v === 'number' && Number.isInteger(v))) {
      if (v === NO_VALUE || v === null || v === undefined) this.errorf('invalid value; expected int');
      this.errorf(`wrong type for value; expected int; got ${goTypeName(v)}`);
    }
    return v;
  }

  private evalArg(dot: unknown, n: ArgNode, typ: ParamType): unknown {
    this.at(n);
    switch (n.t) {
      case 'dot':
        return this.checkType(dot, typ);
      case 'nil':
        if (typ !== 'any') this.errorf(`cannot assign nil to ${typ}`);
        return null;
      case 'field':
        return this.checkType(this.evalFieldChain(dot, dot, n, n.ident, [n], NONE), typ);
      case 'variable':
        return this.checkType(this.evalVariable(dot, n, [], NONE), typ);
      case 'pipe':
        return this.checkType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.checkType(this.evalFunction(dot, n, n, [n], NONE), typ);
      case 'chain':
        return this.checkType(this.evalChain(dot, n, [], NONE), typ);
      case 'bool':
        if (typ !== 'any') this.errorf(`expected ${typ}; found ${nodeString(n)}`);
        return n.value;
      case 'number':
        if (typ === 'string') this.errorf(`expected string; found ${nodeString(n)}`);
        if (typ === 'int' && (n.isFloat || !Number.isInteger(n.value))) this.errorf(`expected integer; found ${nodeString(n)}`);
        return n.value;
      case 'string':
        if (typ === 'int') this.errorf(`expected integer; found ${nodeString(n)}`);
        return n.value;
    }
  }
}

/** "No final value yet" in a pipeline (Go's missingVal). */
const NONE = Symbol('none');

function methodParams(fn: unknown): ParamType[] {
  const declared = (fn as { params?: ParamType[] }).params;
  if (declared) return declared;
  return new Array((fn as (...a: unknown[]) => unknown).length).fill('any');
}

/** A parsed template. */
export class Template {
  constructor(
    readonly source: string,
    private readonly root: ListNode,
    private readonly funcs: FuncMap,
  ) {}

  /** Runs the template over `data`; throws TemplateExecError. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const st = new State(this.source, { ...this.funcs, ...(opts.funcs ?? {}) }, opts.missingKey ?? 'default', data);
    st.walk(data, this.root);
    return st.out;
  }
}

/**
 * Parses a template. `funcs` are the functions it may call besides Go's builtins
 * (calling another is a parse error, as in Go). Throws TemplateParseError.
 */
export function parseTemplate(src: string, funcs: FuncMap = dockerFuncs): Template {
  const toks = lex(src);
  const names = new Set([...BUILTIN_NAMES, ...Object.keys(funcs)]);
  const p = new Parser(toks, (n) => names.has(n));
  const root = p.parse();
  return new Template(src, root, funcs);
}
