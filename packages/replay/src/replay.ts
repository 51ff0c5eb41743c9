// The replay: each recording's records are mapped in time order and decided by a fresh engine; every decision
// that would stop something is kept with its process tree (grouped by root ancestor) and counted per rule.
import {
  createEngine, processKey, wouldBlock, type CompiledPolicy, type Decision, type LineageEntry, type OmamoriEvent,
} from '@omamori/policy';
import { createAltCollector, type AltRecording, type AltResult, type AltTree, type Alternative } from './alternative.ts';
import { classifyStop, severityRank, type Classification, type Severity } from './attack.ts';
import { RECOVERED_MARK } from './read-task.ts';
import { createRowFilter, type ReplayFilter, type TimelineRow } from './timeline.ts';
import { createWindowsMapper, type MapStats } from './mapper.ts';
import type { InputProblem, ReadIssue, Recording } from './sources.ts';
import type { WinRecord } from './win-record.ts';

/** One event the policy would stop. */
export interface Block {
  recording: string;
  /** Where the record is: `file#record-id` or `archive:member:line`. */
  where: string;
  time?: number;
  host?: string;
  kind: OmamoriEvent['kind'];
  verdict: Decision['verdict'];
  reason: Decision['reason'];
  rule: string;
  /** Image of the subject process. */
  image: string;
  /** What was acted on (library, script, file, target process, autostart entry), when not the subject itself. */
  object?: string;
  command?: string;
  lineage: readonly LineageEntry[];
  /** Key of the tree node of the subject. */
  node: string;
  /** Whether this is the first stop in its process tree (the one an enforcing agent would have hit). */
  first: boolean;
  /** With an alternative evaluator: the mechanism that also stops this event, or null when it does not. */
  alt?: { mechanism: string; ruleName: string; outcome: string } | null;
  /** MITRE ATT&CK technique the stop interrupts (attack.ts), '' when none applies. */
  technique: string;
  severity: Severity;
  /**
   * The recording carries no signature for what is stopped (System 7045, PowerShell 4104, a Sysmon 1 whose image
   * Sysmon never saw load): the stop holds unless a real machine finds it signed by one of these trusted
   * publishers. Such stops are counted apart from `stats.blocks` (`stats.unlessSigned`).
   */
  unlessSigned?: string[];
  /** What the event said of the stopped file's identity (for `omamori policy suggest`). */
  identity?: { sha256?: string; signer?: string };
}

export interface TreeNode {
  key: string;
  pid: number;
  image: string;
  commandLine?: string;
  user?: string;
  time?: number;
  /** Indexes into `ProcessTree.blocks` of the stops whose subject is this process. */
  blocks: number[];
  /** Indexes into `ProcessTree.alt.blocks` (with an alternative evaluator). */
  altBlocks?: number[];
  children: TreeNode[];
  /** Children left out because nothing under them was stopped. */
  omittedChildren: number;
}

export interface ProcessTree {
  recording: string;
  host?: string;
  root: TreeNode;
  blocks: Block[];
  /** Stops beyond the kept ones (`maxBlocksPerTree`). */
  moreBlocks: number;
  /** The alternative evaluator's stops in this tree and the comparison with the policy's (`ReplayOptions.alternative`). */
  alt?: AltTree;
}

export interface RuleSummary {
  rule: string;
  reason: string;
  /** Stops that hold whatever the signatures (`Block.unlessSigned` absent). */
  count: number;
  /** Highest severity of its stops, and the ATT&CK techniques they interrupt (attack.ts). */
  severity: Severity;
  techniques: string[];
  /** Stops that hold unless signed by a trusted publisher (the recording carries no signature). */
  unlessSigned: number;
  /** Distinct (image, object) pairs, most frequent first. */
  examples: { image: string; object?: string; count: number; where: string; lineage: readonly LineageEntry[] }[];
}

export interface RecordingSummary {
  name: string;
  kind: Recording['kind'];
  files: number;
  records: number;
  events: number;
  blocks: number;
  /** Stops that hold unless signed (not in `blocks`). */
  unlessSigned: number;
  /** Process starts decided (the denominator of false-block rates). */
  starts: number;
  trees: number;
  issues: number;
  /** Records recovered from EVTX slack space (`recover`), included in `records`. */
  recovered: number;
}

/** Per computer (host name as logged, short and upper-case): what the replay saw and stopped there. */
export interface ComputerSummary {
  name: string;
  events: number;
  blocks: number;
  /** Recordings with events of this computer. */
  recordings: string[];
}

export interface ReplayResult {
  policy: string;
  mode: string;
  recordings: RecordingSummary[];
  computers: ComputerSummary[];
  /** Every stop that passed the filter, in replay order (at most `maxStops`; `stats.stopsOmitted` counts the rest). */
  stops: TimelineRow[];
  problems: InputProblem[];
  /** First issues (damaged records, bad lines), at most 50; `stats.issues` counts them all. */
  issues: ReadIssue[];
  stats: MapStats & { decisions: number; blocks: number; issues: number; trees: number; recovered: number; stopsOmitted: number; unlessSigned: number; starts: number };
  trees: ProcessTree[];
  rules: RuleSummary[];
  /** With `ReplayOptions.alternative`: its stops per mechanism and the comparison totals. */
  alternative?: AltResult;
}

export interface ReplayOptions {
  policy: CompiledPolicy;
  /** Bytes done of all inputs, for a progress bar. */
  onProgress?(done: number, total: number, current: string): void;
  /** Map only, no engine (the bench's baseline). */
  mapOnly?: boolean;
  /** Worker threads for reading (default: one per core for large inputs, see sources.ts). */
  jobs?: number;
  /** Also replay records recovered from EVTX slack space (their `where` ends in " (recovered)"). */
  recover?: boolean;
  /** Which stops (and timeline rows) are reported; the replay itself always sees every event. */
  filter?: ReplayFilter;
  /** Each timeline row as it is decided: every stop, or every mapped event with `allEvents` (after the filter). */
  onRow?(row: TimelineRow): void;
  /** `onRow` gets every decided event, not only the stops. */
  allEvents?: boolean;
  /** Stops kept in `ReplayResult.stops` (default 10,000). */
  maxStops?: number;
  maxBlocksPerTree?: number;
  maxExamplesPerRule?: number;
  /**
   * A second evaluator decided beside the policy on every event (e.g. the policy as compiled for Windows' engines);
   * each tree then also shows its stops and a comparison. Trees where only the alternative stops are kept too.
   */
  alternative?: Alternative;
}

interface Node { key: string; pid: number; image: string; parent?: string; commandLine?: string; user?: string; time?: number; host?: string }

function objectOf(ev: OmamoriEvent, d: Decision): string | undefined {
  // A start's object is its image, except the script or module its command line names (issue 12).
  if (ev.kind === 'process.start') return d.object !== ev.proc.image ? d.object : undefined;
  return d.object;
}

/** The stopped file's hash and signer as the event gave them (the image of a start, or the file of a load/read). */
function identityOf(ev: OmamoriEvent, object: string | undefined): Block['identity'] | undefined {
  const f = ev.kind === 'process.start' ? (object === undefined ? ev.proc : undefined)
    : ev.kind === 'module.load' || ev.kind === 'script.read' ? ev.file : undefined;
  if (!f || (f.sha256 === undefined && f.signer === undefined)) return undefined;
  const id: NonNullable<Block['identity']> = {};
  if (f.sha256 !== undefined) id.sha256 = f.sha256;
  if (f.signer !== undefined) id.signer = f.signer;
  return id;
}

/** A replay over recordings given one by one (what `replayPaths` drives; tests and benches use it directly). */
export function createReplayRun(options: ReplayOptions) {
  const maxBlocks = options.maxBlocksPerTree ?? 50;
  const maxExamples = options.maxExamplesPerRule ?? 5;
  const result: ReplayResult = {
    policy: options.policy.version, mode: options.policy.mode, recordings: [], problems: [], issues: [],
    stats: { records: 0, events: {}, unmapped: {}, skipped: {}, decisions: 0, blocks: 0, unlessSigned: 0, starts: 0, issues: 0, trees: 0, recovered: 0, stopsOmitted: 0 },
    computers: [], stops: [], trees: [], rules: [],
  };
  const accept = createRowFilter(options.filter);
  const maxStops = options.maxStops ?? 10000;
  const computers = new Map<string, { events: number; blocks: number; recordings: Set<string> }>();
  const computer = (host: string | undefined, rec: string) => {
    const name = host ?? '';
    let c = computers.get(name);
    if (!c) { c = { events: 0, blocks: 0, recordings: new Set() }; computers.set(name, c); }
    c.recordings.add(rec);
    return c;
  };
  const rules = new Map<string, { reason: string; count: number; unlessSigned: number; severity: Severity; techniques: Set<string>; examples: Map<string, RuleSummary['examples'][number]> }>();
  // Trusted publishers a signature would have to name for an "unless signed" stop to be lifted.
  const publishers = options.policy.doc.trust.publishers.filter((x) => (x.launch ?? 'normal') === 'normal').map((x) => x.signer);
  let current: { rec: Recording; summary: RecordingSummary; mapper: ReturnType<typeof createWindowsMapper>; alt?: AltRecording } | undefined;
  const altCollector = options.alternative && !options.mapOnly
    ? createAltCollector(options.alternative, maxBlocks, maxExamples) : undefined;

  function recovered(n: number): void {
    result.stats.recovered += n;
    if (current) current.summary.recovered += n;
  }

  function issue(i: ReadIssue): void {
    result.stats.issues++;
    if (current) current.summary.issues++;
    if (result.issues.length < 50) result.issues.push(i);
  }

  function beginRecording(rec: Recording) {
    const summary: RecordingSummary = {
      name: rec.name, kind: rec.kind, files: rec.files.length, records: 0, events: 0, blocks: 0, unlessSigned: 0, starts: 0, trees: 0, issues: 0, recovered: 0,
    };
    result.recordings.push(summary);
    const mapper = createWindowsMapper();
    current = altCollector ? { rec, summary, mapper, alt: altCollector.beginRecording() } : { rec, summary, mapper };
    return mapper;
  }

  function countRule(b: Block): void {
    let r = rules.get(b.rule);
    if (!r) { r = { reason: b.reason, count: 0, unlessSigned: 0, severity: b.severity, techniques: new Set(), examples: new Map() }; rules.set(b.rule, r); }
    if (b.unlessSigned) r.unlessSigned++; else r.count++;
    if (severityRank(b.severity) > severityRank(r.severity)) r.severity = b.severity;
    if (b.technique) r.techniques.add(b.technique);
    const sig = `${b.image.toLowerCase()}|${(b.object ?? '').toLowerCase()}`;
    const ex = r.examples.get(sig);
    if (ex) ex.count++;
    else if (r.examples.size < 500) {
      const e: RuleSummary['examples'][number] = { image: b.image, count: 1, where: b.where, lineage: b.lineage };
      if (b.object !== undefined) e.object = b.object;
      r.examples.set(sig, e);
    }
  }

  /** Maps and decides the kept records of the current recording (sorted here by time, stable). */
  function replay(records: WinRecord[]): void {
    if (!current) throw new Error('replay() before beginRecording()');
    const { rec, summary, mapper, alt } = current;
    const order = records.map((r, i) => ({ r, i, t: mapper.orderTime(r) }));
    // Records without a time keep the position of their predecessor.
    let last = -Infinity;
    for (const o of order) { if (Number.isNaN(o.t)) o.t = last; else last = o.t; }
    order.sort((a, b) => a.t - b.t || a.i - b.i);
    const engine = options.mapOnly ? undefined : createEngine(options.policy);
    const nodes = new Map<string, Node>();
    const blocksByRoot = new Map<string, Block[]>();
    const moreByRoot = new Map<string, number>();
    const nodeFor = (ref: { pid: number; guid?: string; start?: number; image?: string }, host?: string): Node => {
      const key = processKey(ref);
      let n = nodes.get(key);
      if (!n) {
        n = { key, pid: ref.pid, image: ref.image ?? '?' };
        if (host) n.host = host;
        nodes.set(key, n);
      } else if (n.image === '?' && ref.image) n.image = ref.image;
      return n;
    };
    const rootOf = (n: Node): Node => {
      let x = n;
      for (let i = 0; i < 64 && x.parent !== undefined; i++) {
        const p = nodes.get(x.parent);
        if (!p) break;
        x = p;
      }
      return x;
    };
    const stoppedRoots = new Set<string>();
    for (const { r } of order) {
      for (const ev of mapper.map(r)) {
        summary.events++;
        if (!engine) continue;
        const host = computer(ev.host, rec.name);
        host.events++;
        let subject: Node;
        if (ev.kind === 'process.start') {
          const parentRef = ev.parent ?? ev.ancestors?.[0];
          let parentKey: string | undefined;
          if (parentRef) {
            const pk = processKey(parentRef);
            if (!nodes.has(pk) && ev.ancestors?.[0]) nodeFor(ev.ancestors[0], ev.host);
            if (nodes.has(pk)) parentKey = pk;
          }
          subject = nodeFor(ev.proc, ev.host);
          subject.image = ev.proc.image;
          if (parentKey !== undefined && parentKey !== subject.key) subject.parent = parentKey;
          if (ev.proc.commandLine) subject.commandLine = ev.proc.commandLine;
          if (ev.proc.user) subject.user = ev.proc.user;
          if (ev.time !== undefined) subject.time = ev.time;
        } else if (ev.kind === 'media.mount') continue;
        else subject = nodeFor(ev.proc, ev.host);
        const d = engine.decide(ev);
        result.stats.decisions++;
        if (ev.kind === 'process.start') { result.stats.starts++; summary.starts++; }
        const av = alt?.evaluate(ev);
        const blocks = wouldBlock(d);
        if (av && alt) {
          alt.altStop(rootOf(subject).key, av, ev, ev.id ?? r.where, subject, d.lineage, blocks ? { rule: d.rule, reason: d.reason } : undefined);
        }
        if (!blocks && !(options.allEvents && options.onRow)) continue;
        const obj = objectOf(ev, d);
        const cls = blocks ? classifyStop({ rule: d.rule, kind: ev.kind, image: subject.image, object: obj,
          location: ev.kind === 'persistence.write' ? ev.location : undefined }) : { technique: '', severity: 'info' as const };
        const row = rowOf(ev, d, subject, obj, cls, rec.name, ev.id ?? r.where);
        if (accept && !accept(row)) {
          if (blocks) stoppedRoots.add(rootOf(subject).key);
          continue;
        }
        options.onRow?.(row);
        if (!blocks) continue;
        if (result.stops.length < maxStops) result.stops.push(row); else result.stats.stopsOmitted++;
        if (!d.unlessSigned) host.blocks++;
        const root = rootOf(subject);
        alt?.policyStop(root.key, ev.id ?? r.where);
        const list = blocksByRoot.get(root.key) ?? [];
        if (list.length >= maxBlocks) { moreByRoot.set(root.key, (moreByRoot.get(root.key) ?? 0) + 1); }
        const b: Block = {
          recording: rec.name, where: ev.id ?? r.where, kind: ev.kind, verdict: d.verdict, reason: d.reason, rule: d.rule,
          image: subject.image, lineage: d.lineage, node: subject.key,
          first: !stoppedRoots.has(root.key), technique: cls.technique, severity: cls.severity,
        };
        stoppedRoots.add(root.key);
        if (ev.time !== undefined) b.time = ev.time;
        if (ev.host !== undefined) b.host = ev.host;
        if (alt) b.alt = av && av.outcome !== 'constrain' ? { mechanism: av.mechanism, ruleName: av.ruleName, outcome: av.outcome } : null;
        if (obj !== undefined) b.object = obj;
        if (ev.kind === 'persistence.write' && ev.command) b.command = ev.command;
        else if (ev.kind === 'process.start' && ev.proc.commandLine) b.command = ev.proc.commandLine;
        if (d.unlessSigned) b.unlessSigned = publishers;
        const id = identityOf(ev, obj);
        if (id) b.identity = id;
        countRule(b);
        if (b.unlessSigned) { summary.unlessSigned++; result.stats.unlessSigned++; } else { summary.blocks++; result.stats.blocks++; }
        if (list.length < maxBlocks) { list.push(b); blocksByRoot.set(root.key, list); }
      }
    }
    // The mapper is the recording's own: every record it observed (mapped or not) is one of this recording's.
    summary.records = mapper.stats.records;
    mergeStats(mapper.stats);
    const roots = [...blocksByRoot.keys()];
    if (alt) for (const k of alt.roots()) if (!blocksByRoot.has(k)) roots.push(k);
    for (const rootKey of roots) {
      const blocks = blocksByRoot.get(rootKey) ?? [];
      const altTree = alt?.tree(rootKey);
      const tree = buildTree(rootKey, blocks, nodes, altTree);
      const t: ProcessTree = { recording: rec.name, root: tree, blocks, moreBlocks: moreByRoot.get(rootKey) ?? 0 };
      if (altTree) t.alt = altTree;
      const host = nodes.get(rootKey)?.host;
      if (host) t.host = host;
      result.trees.push(t);
      if (blocks.length === 0) continue;
      summary.trees++;
      result.stats.trees++;
    }
    current = undefined;
  }

  function mergeStats(s: MapStats): void {
    result.stats.records += s.records;
    for (const k of ['events', 'unmapped', 'skipped'] as const) {
      for (const [name, n] of Object.entries(s[k])) result.stats[k][name] = (result.stats[k][name] ?? 0) + n;
    }
  }

  function finish(): ReplayResult {
    result.computers = [...computers].map(([name, c]) => ({ name, events: c.events, blocks: c.blocks, recordings: [...c.recordings] }))
      .sort((a, b) => b.blocks - a.blocks || b.events - a.events || a.name.localeCompare(b.name));
    result.rules = [...rules].map(([rule, r]) => ({
      rule, reason: r.reason, count: r.count, unlessSigned: r.unlessSigned, severity: r.severity, techniques: [...r.techniques].sort(),
      examples: [...r.examples.values()].sort((a, b) => b.count - a.count).slice(0, maxExamples),
    })).sort((a, b) => b.count - a.count || b.unlessSigned - a.unlessSigned || a.rule.localeCompare(b.rule));
    if (altCollector) result.alternative = altCollector.finish();
    return result;
  }

  return { result, beginRecording, replay, issue, recovered, finish };
}

/** The timeline row of one decision. */
function rowOf(ev: OmamoriEvent, d: Decision, subject: Node, object: string | undefined, cls: Classification, recording: string,
  where: string): TimelineRow {
  const start = ev.kind === 'process.start';
  const parent = d.lineage.length >= 2 ? d.lineage[d.lineage.length - 2]!.image : '';
  const command = start ? ev.proc.commandLine : ev.kind === 'persistence.write' ? ev.command : subject.commandLine;
  const user = start ? ev.proc.user : subject.user;
  return {
    time: ev.time, computer: ev.host ?? '', user: user ?? '', severity: cls.severity, verdict: d.verdict, rule: d.rule,
    reason: d.reason, technique: cls.technique, kind: ev.kind, process: subject.image, parent, commandLine: command ?? '',
    object: object ?? (ev.kind === 'persistence.write' ? ev.target : ''), recording, record: where,
    recovered: where.endsWith(RECOVERED_MARK), unlessSigned: d.unlessSigned === true,
  };
}

/** The subtree of `rootKey` pruned to the paths that lead to stopped processes. */
function buildTree(rootKey: string, blocks: Block[], nodes: Map<string, Node>, alt?: AltTree): TreeNode {
  const keep = new Set<string>();
  for (const b of [...blocks, ...(alt?.blocks ?? [])]) {
    let k: string | undefined = b.node;
    for (let i = 0; i < 64 && k !== undefined && !keep.has(k); i++) { keep.add(k); k = nodes.get(k)?.parent; }
  }
  const childrenOf = new Map<string, string[]>();
  const allChildren = new Map<string, number>();
  for (const n of nodes.values()) {
    if (n.parent === undefined) continue;
    allChildren.set(n.parent, (allChildren.get(n.parent) ?? 0) + 1);
    if (!keep.has(n.key)) continue;
    const l = childrenOf.get(n.parent) ?? [];
    l.push(n.key);
    childrenOf.set(n.parent, l);
  }
  const blockIdx = new Map<string, number[]>();
  blocks.forEach((b, i) => { const l = blockIdx.get(b.node) ?? []; l.push(i); blockIdx.set(b.node, l); });
  const altIdx = new Map<string, number[]>();
  alt?.blocks.forEach((b, i) => { const l = altIdx.get(b.node) ?? []; l.push(i); altIdx.set(b.node, l); });
  const make = (key: string, depth: number): TreeNode => {
    const n = nodes.get(key)!;
    const kids = depth < 64 ? (childrenOf.get(key) ?? []) : [];
    const t: TreeNode = {
      key, pid: n.pid, image: n.image, blocks: blockIdx.get(key) ?? [], children: kids.map((k) => make(k, depth + 1)),
      omittedChildren: (allChildren.get(key) ?? 0) - kids.length,
    };
    if (alt) t.altBlocks = altIdx.get(key) ?? [];
    if (n.commandLine) t.commandLine = n.commandLine;
    if (n.user) t.user = n.user;
    if (n.time !== undefined) t.time = n.time;
    return t;
  };
  return make(rootKey, 0);
}
