// A small PowerShell interpreter over the tree-sitter parse, enough to run omamori's generated apply/revert scripts
// against a model of the machine: variables ($env: too), strings with $var expansion, numbers, @() / @{} /
// [pscustomobject] / [ordered] / [int] / [string] / [bool], -not / -and / -or / -eq / -ieq / -ne / -lt / -gt /
// -contains / -notcontains, +, member and index access, [DateTime]::UtcNow, the string methods Trim/ToLower/ToUpper,
// if/elseif/else, foreach, functions with parameters, return, exit, `| Out-Null`, Join-Path, Write-Output,
// Write-Warning and the registry cmdlets of registry-model.ts. Everything Windows-specific (Defender, CiTool, the
// record file) is supplied by the test as host commands. Anything else throws "not modelled", so a generated script
// that leaves this subset fails its test instead of being judged by a guess.
import { parsePowerShell, unwrap, type PsNode } from './grammar.ts';
import { RegistryError, type RegistryModel } from './registry-model.ts';

export type Val = string | number | boolean | null | PsObject | Val[];
/** A PowerShell object or hashtable: properties by case-insensitive name, in insertion order. */
export class PsObject {
  private readonly m = new Map<string, [string, Val]>();
  constructor(init: Record<string, Val> = {}) { for (const [k, v] of Object.entries(init)) this.set(k, v); }
  get(k: string): Val { return this.m.get(k.toLowerCase())?.[1] ?? null; }
  has(k: string): boolean { return this.m.has(k.toLowerCase()); }
  set(k: string, v: Val): void { this.m.set(k.toLowerCase(), [this.m.get(k.toLowerCase())?.[0] ?? k, v]); }
  toJSON(): Record<string, Val> { return Object.fromEntries([...this.m.values()]); }
}

export class NotModelled extends Error {}
class Return { constructor(readonly value: Val[]) {} }
/** `exit N` ended the script. */
export class Exit { constructor(readonly code: number) {} }

export interface MiniPowerShellOptions {
  /** Host commands (Defender, CiTool, files): they take precedence over functions the script defines. */
  host?: Record<string, Host>;
  /** Variables set before the script runs (e.g. SkipAudit, PSScriptRoot). */
  vars?: Record<string, Val>;
  env?: Record<string, string>;
  /** [DateTime]::UtcNow, in milliseconds since the epoch. */
  now?: number;
}

type Host = (positional: Val[], named: Record<string, Val>) => Val;
interface Fn { params: string[]; body: PsNode }
class Scope {
  private readonly vars = new Map<string, Val>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Val {
    const k = name.toLowerCase();
    if (this.vars.has(k)) return this.vars.get(k)!;
    return this.parent ? this.parent.get(name) : null;
  }
  set(name: string, v: Val): void { this.vars.set(name.toLowerCase(), v); }
}

const SWITCHES = new Set(['-force', '-recurse']);
const truthy = (v: Val): boolean => Array.isArray(v) ? v.length > 0 : v !== null && v !== false && v !== 0 && v !== '';
const flat = (vals: Val[]): Val => (vals.length === 0 ? null : vals.length === 1 ? vals[0]! : vals);

export class MiniPowerShell {
  private readonly functions = new Map<string, Fn>();
  private readonly global = new Scope();
  private readonly host: Record<string, Host>;
  readonly warnings: string[] = [];
  readonly output: Val[] = [];

  constructor(private readonly registry: RegistryModel, private readonly opts: MiniPowerShellOptions = {}) {
    this.host = Object.fromEntries(Object.entries(opts.host ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [k, v] of Object.entries(opts.vars ?? {})) this.global.set(k, v);
  }

  /** Defines every function of a script (top-level statements are not run). */
  load(script: string): this {
    const { root, problems } = parsePowerShell(script);
    if (problems.length) throw new Error(`script does not parse: ${problems[0]!.line}:${problems[0]!.column}`);
    const walk = (n: PsNode): void => {
      if (n.type === 'function_statement') this.define(n);
      for (const c of n.namedChildren) if (c.type !== 'function_statement') walk(c); else this.define(c);
    };
    walk(root);
    return this;
  }

  hasFunction(name: string): boolean { return this.functions.has(name.toLowerCase()); }

  /** Runs a script's statements (functions defined on the way); returns the exit code (0 when it ran to the end). */
  run(script: string): number {
    const { root, problems } = parsePowerShell(script);
    if (problems.length) throw new Error(`script does not parse: ${problems[0]!.line}:${problems[0]!.column}`);
    try {
      for (const c of root.namedChildren) if (c.type === 'statement_list') this.statements(c, this.global, this.output);
    } catch (e) {
      if (e instanceof Exit) return e.code;
      throw e;
    }
    return 0;
  }

  call(name: string, ...args: Val[]): Val { return this.invoke(name, args, {}, this.global); }

  private define(n: PsNode): void {
    const name = n.namedChildren.find((c) => c.type === 'function_name')!.text;
    const params = n.namedChildren.find((c) => c.type === 'function_parameter_declaration')
      ? n.descendantsOfType('script_parameter').map((p) => p.namedChildren.find((c) => c.type === 'variable')!.text.slice(1)) : [];
    const body = n.namedChildren.find((c) => c.type === 'script_block')!;
    this.functions.set(name.toLowerCase(), { params, body });
  }

  private statements(list: PsNode, scope: Scope, out: Val[]): void {
    for (const s of list.namedChildren) this.statement(s, scope, out);
  }

  private block(n: PsNode, scope: Scope, out: Val[]): void {
    const list = n.type === 'statement_list' ? n : n.descendantsOfType('statement_list')[0];
    if (list) this.statements(list, scope, out);
  }

  private statement(s: PsNode, scope: Scope, out: Val[]): void {
    switch (s.type) {
      case 'empty_statement': case 'comment': return;
      case 'function_statement': this.define(s); return;
      case 'pipeline': this.pipeline(s, scope, out); return;
      case 'if_statement': {
        const kids = s.namedChildren;
        if (truthy(this.expr(kids[0]!, scope))) { this.block(kids[1]!, scope, out); return; }
        for (const c of kids.slice(2)) {
          if (c.type === 'elseif_clauses') {
            for (const e of c.namedChildren) {
              if (truthy(this.expr(e.namedChildren[0]!, scope))) { this.block(e.namedChildren[1]!, scope, out); return; }
            }
          } else if (c.type === 'else_clause') { this.block(c.namedChildren[0]!, scope, out); return; }
        }
        return;
      }
      case 'foreach_statement': {
        const [v, coll, body] = s.namedChildren;
        const items = this.expr(coll!, scope);
        for (const item of Array.isArray(items) ? items : items === null ? [] : [items]) {
          scope.set(v!.text.slice(1), item);
          this.block(body!, scope, out);
        }
        return;
      }
      case 'flow_control_statement': {
        if (/^exit\b/i.test(s.text)) throw new Exit(s.namedChildren[0] ? Number(this.expr(s.namedChildren[0], scope)) : 0);
        if (!s.text.startsWith('return')) throw new NotModelled(`flow control ${s.text.slice(0, 20)}`);
        const value = s.namedChildren[0] ? this.expr(s.namedChildren[0], scope) : null;
        throw new Return([...out, ...(value === null && s.namedChildren[0] === undefined ? [] : [value])]);
      }
      default: throw new NotModelled(`statement ${s.type}: ${s.text.slice(0, 40)}`);
    }
  }

  private pipeline(p: PsNode, scope: Scope, out: Val[]): void {
    const a = unwrap(p);
    if (a.type === 'assignment_expression') {
      const [left, , right] = a.namedChildren;
      const value = this.expr(right!, scope);
      const target = unwrap(left!);
      if (target.type === 'variable') scope.set(target.text.slice(1).replace(/^script:/i, ''), value);
      else if (target.type === 'member_access') {
        const obj = this.expr(target.namedChildren[0]!, scope);
        if (!(obj instanceof PsObject)) throw new NotModelled('property set on a non-object');
        obj.set(this.memberName(target.namedChildren[1]!, scope), value);
      } else throw new NotModelled(`assignment to ${target.type}`);
      return;
    }
    const chain = a.type === 'pipeline_chain' ? a : undefined;
    const stages = chain ? chain.namedChildren : [a];
    let value: Val = null;
    let isExpr = false;
    stages.forEach((st, i) => {
      const u = st.type === 'command' ? st : unwrap(st);
      if (i > 0) {
        if (u.type === 'command' && /^out-null$/i.test(u.namedChildren[0]!.text)) { value = null; isExpr = false; return; }
        throw new NotModelled(`pipeline stage ${u.text.slice(0, 30)}`);
      }
      value = u.type === 'command' ? this.command(u, scope) : this.expr(u, scope);
      isExpr = u.type !== 'command';
    });
    if (value !== null || isExpr) out.push(value);
  }

  private memberName(n: PsNode, scope: Scope): string {
    const u = unwrap(n);
    if (u.type === 'variable') return String(scope.get(u.text.slice(1)));
    if (u.type === 'simple_name' || u.type === 'member_name') return u.text;
    throw new NotModelled(`member name ${u.type}`);
  }

  private command(c: PsNode, scope: Scope): Val {
    const name = c.namedChildren[0]!.text;
    const elements = c.namedChildren.find((x) => x.type === 'command_elements')?.namedChildren.filter((x) => x.type !== 'command_argument_sep') ?? [];
    const positional: Val[] = [];
    const named: Record<string, Val> = {};
    for (let i = 0; i < elements.length; i++) {
      const e = elements[i]!;
      if (e.type === 'command_parameter') {
        const p = e.text.toLowerCase();
        const next = elements[i + 1];
        if (SWITCHES.has(p) || !next || next.type === 'command_parameter') named[p] = true;
        else { named[p] = next.type === 'generic_token' ? next.text : this.expr(next, scope); i++; }
      } else positional.push(e.type === 'generic_token' ? e.text : this.expr(e, scope));
    }
    return this.invoke(name, positional, named, scope);
  }

  private invoke(name: string, positional: Val[], named: Record<string, Val>, scope: Scope): Val {
    const host = this.host[name.toLowerCase()];
    if (host) return host(positional, named);
    const fn = this.functions.get(name.toLowerCase());
    if (fn) {
      const local = new Scope(scope);
      fn.params.forEach((p, i) => local.set(p, named[`-${p.toLowerCase()}`] ?? positional[i] ?? null));
      const out: Val[] = [];
      try { this.block(fn.body, local, out); } catch (e) { if (e instanceof Return) return flat(e.value); throw e; }
      return flat(out);
    }
    return this.builtin(name, positional, named);
  }

  private builtin(name: string, positional: Val[], named: Record<string, Val>): Val {
    const path = String(named['-literalpath'] ?? named['-path'] ?? positional[0] ?? '');
    const silently = /^silentlycontinue$/i.test(String(named['-erroraction'] ?? ''));
    const guard = (f: () => Val): Val => {
      try { return f(); } catch (e) { if (e instanceof RegistryError && silently) return null; throw e; }
    };
    switch (name.toLowerCase()) {
      case 'test-path': return this.registry.exists(path);
      case 'new-item':
        if (named['-itemtype'] !== undefined) throw new NotModelled('New-Item -ItemType (file system)');
        return guard(() => { this.registry.newItem(path, named['-force'] === true); return null; });
      case 'new-itemproperty': {
        const type = String(named['-propertytype'] ?? 'String');
        if (!/^dword$/i.test(type)) throw new NotModelled(`-PropertyType ${type}`);
        const value = Number(named['-value']);
        if (!Number.isInteger(value)) throw new Error(`New-ItemProperty: ${String(named['-value'])} is not a DWORD`);
        return guard(() => { this.registry.setValue(path, String(named['-name']), { type: 'DWord', data: value }, named['-force'] === true); return null; });
      }
      case 'remove-itemproperty': return guard(() => { this.registry.removeValue(path, String(named['-name'])); return null; });
      case 'get-itemproperty': return guard(() => {
        const n = String(named['-name']);
        const v = this.registry.getValue(path, n);
        if (!v) throw new RegistryError('PropertyNotFound', `${path}\\${n}`);
        return new PsObject({ [n]: v.data });
      });
      case 'write-warning': this.warnings.push(String(positional[0] ?? named['-message'])); return null;
      case 'write-output': return positional.length === 1 ? positional[0]! : positional;
      case 'join-path': return `${String(named['-path'] ?? positional[0]).replace(/\\+$/, '')}\\${String(named['-childpath'] ?? positional[1]).replace(/^\\+/, '')}`;
      default: throw new NotModelled(`command ${name}`);
    }
  }

  expr(n: PsNode, scope: Scope = this.global): Val {
    const u = unwrap(n);
    switch (u.type) {
      case 'pipeline': case 'pipeline_chain': {
        const out: Val[] = [];
        this.pipeline(u, scope, out);
        return flat(out);
      }
      case 'command': return this.command(u, scope);
      case 'command_name': return this.invoke(u.text, [], {}, scope);
      case 'variable': {
        const v = u.text.slice(1).replace(/^script:/i, '');
        if (/^env:/i.test(v)) { const e = Object.entries(this.opts.env ?? {}).find(([k]) => k.toLowerCase() === v.slice(4).toLowerCase()); return e ? e[1] : null; }
        if (/^null$/i.test(v)) return null;
        if (/^true$/i.test(v)) return true;
        if (/^false$/i.test(v)) return false;
        return scope.get(v);
      }
      case 'decimal_integer_literal': case 'integer_literal': return Number(u.text);
      case 'verbatim_string_characters': return u.text.slice(1, -1).replace(/''/g, "'");
      case 'expandable_string_literal': {
        const body = u.text.slice(1, -1);
        if (/\$\(/.test(body) || /`/.test(body)) throw new NotModelled(`string ${u.text.slice(0, 30)}`);
        return body.replace(/\$(?:\{([^}]+)\}|([A-Za-z_][\w]*(?::[\w]+)?))/g, (_m, a: string | undefined, b: string | undefined) => {
          const v = scope.get((a ?? b)!.replace(/^script:/i, ''));
          return v === null ? '' : String(v);
        });
      }
      case 'parenthesized_expression': return this.expr(u.namedChildren[0]!, scope);
      case 'array_expression': {
        const out: Val[] = [];
        const list = u.namedChildren.find((c) => c.type === 'statement_list');
        if (list) this.statements(list, scope, out);
        return out.flatMap((v) => (Array.isArray(v) ? v : [v]));
      }
      case 'hash_literal_expression': {
        const o = new PsObject();
        const body = u.namedChildren.find((c) => c.type === 'hash_literal_body');
        for (const e of body?.namedChildren.filter((h) => h.type === 'hash_entry') ?? []) {
          const [k, v] = e.namedChildren;
          o.set(unwrap(k!).text.replace(/^'|'$/g, ''), this.expr(v!, scope));
        }
        return o;
      }
      case 'cast_expression': {
        const type = u.namedChildren[0]!.text.replace(/[[\]\s]/g, '').toLowerCase();
        const v = this.expr(u.namedChildren[1]!, scope);
        if (type === 'int' || type === 'int32') { const x = Number(v); if (!Number.isInteger(x)) throw new Error(`cannot convert ${String(v)} to int`); return x; }
        if (type === 'string') return v === null ? '' : String(v);
        if (type === 'bool') return truthy(v);
        if (type === 'pscustomobject' || type === 'ordered') { if (!(v instanceof PsObject)) throw new NotModelled(`[${type}] of a non-hashtable`); return v; }
        throw new NotModelled(`cast to [${type}]`);
      }
      case 'expression_with_unary_operator': {
        const op = u.children[0]!.text.toLowerCase();
        if (op === '-not' || op === '!') return !truthy(this.expr(u.namedChildren[0]!, scope));
        throw new NotModelled(`unary ${op}`);
      }
      case 'element_access': {
        const obj = this.expr(u.namedChildren[0]!, scope);
        const key = this.expr(u.namedChildren[1]!, scope);
        if (obj instanceof PsObject) return obj.get(String(key));
        if (Array.isArray(obj)) return obj[Number(key)] ?? null;
        if (obj === null) return null;
        throw new NotModelled('index into a scalar');
      }
      case 'invokation_expression': {
        const obj = this.expr(u.namedChildren[0]!, scope);
        const method = u.namedChildren[1]!.text.toLowerCase();
        const args = u.namedChildren[2]?.descendantsOfType('argument_expression').map((a) => this.expr(a, scope)) ?? [];
        if (typeof obj === 'string') {
          if (method === 'tolower' || method === 'tolowerinvariant') return obj.toLowerCase();
          if (method === 'toupper' || method === 'toupperinvariant') return obj.toUpperCase();
          if (method === 'trim') { const cs = args.length ? String(args[0]) : ' \t\r\n'; let a = 0, b = obj.length; while (a < b && cs.includes(obj[a]!)) a++; while (b > a && cs.includes(obj[b - 1]!)) b--; return obj.slice(a, b); }
        }
        if (obj instanceof PsObject && obj.has('__iso') && method === 'tostring') return obj.get('__iso');
        throw new NotModelled(`method ${method}()`);
      }
      case 'member_access': {
        if (u.namedChildren[0]!.type === 'type_literal') {
          const type = u.namedChildren[0]!.text.replace(/[[\]\s]/g, '').toLowerCase();
          const member = u.namedChildren[1]!.text.toLowerCase();
          if ((type === 'datetime' || type === 'system.datetime') && member === 'utcnow') {
            const ms = this.opts.now ?? Date.now();
            return new PsObject({ Ticks: ms * 10000 + 621355968000000000, __iso: new Date(ms).toISOString() });
          }
          throw new NotModelled(`static member [${type}]::${member}`);
        }
        const obj = this.expr(u.namedChildren[0]!, scope);
        const name = this.memberName(u.namedChildren[1]!, scope);
        if (obj instanceof PsObject) return obj.get(name);
        if (obj === null) return null;
        throw new NotModelled(`member ${name} of ${typeof obj}`);
      }
      case 'logical_expression': {
        const op = u.children.find((c) => !c.isNamed)!.text.toLowerCase();
        const l = truthy(this.expr(u.namedChildren[0]!, scope));
        if (op === '-and') return l && truthy(this.expr(u.namedChildren[1]!, scope));
        if (op === '-or') return l || truthy(this.expr(u.namedChildren[1]!, scope));
        throw new NotModelled(`logical ${op}`);
      }
      case 'comparison_expression': {
        const op = u.namedChildren[1]!.text.toLowerCase();
        const l = this.expr(u.namedChildren[0]!, scope);
        const r = this.expr(u.namedChildren[2]!, scope);
        return compare(op, l, r);
      }
      case 'additive_expression': {
        const l = this.expr(u.namedChildren[0]!, scope);
        const r = this.expr(u.namedChildren[1]!, scope);
        if (Array.isArray(l)) return [...l, ...(Array.isArray(r) ? r : [r])];
        if (typeof l === 'number') return l + Number(r);
        return `${l === null ? '' : String(l)}${r === null ? '' : String(r)}`;
      }
      default: throw new NotModelled(`expression ${u.type}: ${u.text.slice(0, 40)}`);
    }
  }
}

/** PowerShell comparison: the right operand converts to the left one's type; strings compare case-insensitively. */
function compare(op: string, l: Val, r: Val): boolean {
  const eq = (a: Val, b: Val): boolean => {
    if (a === null || b === null) return a === b;
    if (typeof a === 'number') return a === Number(b);
    if (typeof a === 'string') return a.toLowerCase() === String(b).toLowerCase();
    return a === b;
  };
  if (op === '-contains' || op === '-notcontains') {
    const found = (Array.isArray(l) ? l : l === null ? [] : [l]).some((x) => eq(x, r));
    return op === '-contains' ? found : !found;
  }
  if (Array.isArray(l)) throw new NotModelled('comparison with an array on the left');
  switch (op) {
    case '-eq': case '-ieq': return eq(l, r);
    case '-ne': case '-ine': return !eq(l, r);
    case '-lt': return Number(l) < Number(r);
    case '-gt': return Number(l) > Number(r);
    case '-le': return Number(l) <= Number(r);
    case '-ge': return Number(l) >= Number(r);
    default: throw new NotModelled(`comparison ${op}`);
  }
}
