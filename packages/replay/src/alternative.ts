// A second evaluator replayed beside the policy (e.g. the policy as compiled for Windows' own engines): its stops
// per process tree and per mechanism, and a per-tree comparison with the policy's own stops. The replay knows
// nothing of what the evaluator simulates; the caller builds it (the CLI, from @omamori/windows) and passes it in.
import type { LineageEntry, OmamoriEvent } from '@omamori/policy';

export type AltOutcome = 'block' | 'warn' | 'audit' | 'constrain';

/** The alternative's answer for one event it would act on; `undefined` from `evaluate` means it lets it through. */
export interface AltVerdict {
  /** Stopped for real with this configuration (block, warn); false when only logged (audit) or constrained. */
  blocked: boolean;
  /** `constrain`: the step runs, restricted (e.g. PowerShell Constrained Language Mode); not counted as a stop. */
  outcome: AltOutcome;
  /** Stable mechanism id, e.g. `wdac`, `asr:d4f940ab-401b-4efc-aadc-ad5f3c50688a`, `cfa`. */
  mechanism: string;
  ruleName: string;
  /** Other mechanisms that would stop the same event. */
  others?: string[];
  /** Key of a note (in `Alternative.notes`) saying what this verdict had to approximate. */
  approx?: string;
}

export interface AltEvaluator { evaluate(ev: OmamoriEvent): AltVerdict | undefined }

export interface AltNote {
  key: string;
  en: string;
  ja: string;
  /** An approximation verdicts may point to (shown when used); otherwise something not evaluated (always shown). */
  approx?: boolean;
}

export interface Alternative {
  /** Short id, e.g. `windows`. */
  id: string;
  label: { en: string; ja: string };
  /** A fresh (stateful) evaluator for each recording. */
  create(): AltEvaluator;
  /** What it cannot evaluate or only approximates; verdicts point here by `approx`. */
  notes: AltNote[];
}

/** One event the alternative acts on, inside a process tree. */
export interface AltBlock extends AltVerdict {
  where: string;
  time?: number;
  kind: OmamoriEvent['kind'];
  image: string;
  object?: string;
  node: string;
  lineage: readonly LineageEntry[];
  /** The alternative's first stop in this tree (never a `constrain`). */
  first: boolean;
  /** The policy's own verdict on the same event, when the policy stops it too. */
  policy?: { rule: string; reason: string };
}

/** Per tree: where each side stops first and which steps only one side stops. */
export interface TreeComparison {
  /** `where` of the policy's / the alternative's first stop. */
  policyFirst?: string;
  altFirst?: string;
  both: number;
  policyOnly: number;
  altOnly: number;
}

export interface AltTree { blocks: AltBlock[]; moreBlocks: number; compare: TreeComparison }

export interface MechanismSummary {
  mechanism: string;
  ruleName: string;
  /** Stops (block, warn or audit); `constrain` outcomes are counted in `constrained`. */
  count: number;
  blocked: number;
  constrained: number;
  /** Of `count`, how many the policy does not stop (the candidates for breakage the policy would not cause). */
  altOnly: number;
  examples: { image: string; object?: string; count: number; where: string }[];
}

export interface AltResult {
  id: string;
  label: { en: string; ja: string };
  notes: AltNote[];
  stats: { stops: number; blocked: number; constrained: number; trees: number; both: number; policyOnly: number; altOnly: number };
  mechanisms: MechanismSummary[];
  /** How many verdicts (stops and constrained) rest on each approximation note, by note key. */
  approximated: Record<string, number>;
}

/** What the event acted on, when not the subject itself. */
export function objectOfEvent(ev: OmamoriEvent): string | undefined {
  switch (ev.kind) {
    case 'module.load': case 'script.read': case 'file.access': return ev.file.path;
    case 'process.access': return ev.target.image ?? String(ev.target.pid);
    case 'persistence.write': return ev.target;
    case 'network.connect': return `${ev.address}:${ev.port}`;
    default: return undefined;
  }
}

interface RootState { blocks: AltBlock[]; more: number; policy: Set<string>; alt: Set<string>; policyFirst?: string; altFirst?: string }

/** Collects the alternative's verdicts over a whole replay (one `beginRecording` per recording). */
export function createAltCollector(alt: Alternative, maxBlocks: number, maxExamples: number) {
  const result: AltResult = {
    id: alt.id, label: alt.label, notes: alt.notes,
    stats: { stops: 0, blocked: 0, constrained: 0, trees: 0, both: 0, policyOnly: 0, altOnly: 0 }, mechanisms: [], approximated: {},
  };
  const mechs = new Map<string, Omit<MechanismSummary, 'examples'> & { ex: Map<string, MechanismSummary['examples'][number]> }>();

  function count(b: AltBlock): void {
    const key = `${b.mechanism}|${b.ruleName}`;
    let m = mechs.get(key);
    if (!m) { m = { mechanism: b.mechanism, ruleName: b.ruleName, count: 0, blocked: 0, constrained: 0, altOnly: 0, ex: new Map() }; mechs.set(key, m); }
    if (b.approx !== undefined) result.approximated[b.approx] = (result.approximated[b.approx] ?? 0) + 1;
    if (b.outcome === 'constrain') { m.constrained++; result.stats.constrained++; }
    else {
      m.count++; result.stats.stops++;
      if (b.blocked) { m.blocked++; result.stats.blocked++; }
      if (!b.policy) m.altOnly++;
    }
    const sig = `${b.image.toLowerCase()}|${(b.object ?? '').toLowerCase()}`;
    const ex = m.ex.get(sig);
    if (ex) ex.count++;
    else if (m.ex.size < 500) m.ex.set(sig, { image: b.image, count: 1, where: b.where, ...(b.object !== undefined ? { object: b.object } : {}) });
  }

  function beginRecording() {
    const evaluator = alt.create();
    const roots = new Map<string, RootState>();
    const state = (root: string): RootState => {
      let s = roots.get(root);
      if (!s) { s = { blocks: [], more: 0, policy: new Set(), alt: new Set() }; roots.set(root, s); }
      return s;
    };
    return {
      evaluate(ev: OmamoriEvent): AltVerdict | undefined { return evaluator.evaluate(ev); },
      /** Records the policy's stop of event `where` in the tree of `root`. */
      policyStop(root: string, where: string): void {
        const s = state(root);
        s.policy.add(where);
        s.policyFirst ??= where;
      },
      /** Records the alternative's verdict `v` on an event of `subject` (tree `root`). */
      altStop(root: string, v: AltVerdict, ev: OmamoriEvent, where: string, subject: { key: string; image: string },
        lineage: readonly LineageEntry[], policy: { rule: string; reason: string } | undefined): void {
        const s = state(root);
        const stop = v.outcome !== 'constrain';
        if (stop) s.alt.add(where);
        const b: AltBlock = { ...v, where, kind: ev.kind, image: subject.image, node: subject.key, lineage, first: stop && s.altFirst === undefined };
        if (stop) s.altFirst ??= where;
        if (ev.time !== undefined) b.time = ev.time;
        const obj = objectOfEvent(ev);
        if (obj !== undefined) b.object = obj;
        if (policy) b.policy = policy;
        count(b);
        if (s.blocks.length < maxBlocks) s.blocks.push(b); else s.more++;
      },
      /** Roots of trees where the alternative stops something (constrained steps alone do not make a tree). */
      roots(): string[] { return [...roots.keys()].filter((k) => roots.get(k)!.alt.size > 0); },
      tree(root: string): AltTree | undefined {
        const s = roots.get(root);
        if (!s) return undefined;
        const compare: TreeComparison = { both: 0, policyOnly: 0, altOnly: 0 };
        for (const w of s.policy) { if (s.alt.has(w)) compare.both++; else compare.policyOnly++; }
        for (const w of s.alt) if (!s.policy.has(w)) compare.altOnly++;
        if (s.policyFirst !== undefined) compare.policyFirst = s.policyFirst;
        if (s.altFirst !== undefined) compare.altFirst = s.altFirst;
        if (s.alt.size > 0) result.stats.trees++;
        result.stats.both += compare.both; result.stats.policyOnly += compare.policyOnly; result.stats.altOnly += compare.altOnly;
        return { blocks: s.blocks, moreBlocks: s.more, compare };
      },
    };
  }

  function finish(): AltResult {
    result.mechanisms = [...mechs.values()].map(({ ex, ...m }) => ({
      ...m, examples: [...ex.values()].sort((a, b) => b.count - a.count).slice(0, maxExamples),
    })).sort((a, b) => b.count - a.count || b.constrained - a.constrained || a.mechanism.localeCompare(b.mechanism));
    return result;
  }

  return { result, beginRecording, finish };
}

export type AltRecording = ReturnType<ReturnType<typeof createAltCollector>['beginRecording']>;
