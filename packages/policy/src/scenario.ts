// Scenario files: policy + events + expected decisions (packages/policy/scenarios/*.yaml). The same shape serves
// engine tests, `omamori decide` checks and, with a recording instead of events, replay tests.
import { parse } from 'yaml';
import { checkEvent } from './event-check.ts';
import type { Decision, Verdict } from './decision.ts';
import type { OmamoriEvent, Platform } from './events.ts';

export interface Expectation {
  verdict: Verdict;
  reason?: string;
  /** `unless-signed` after the reason: the refusal is one a trusted publisher's signature would lift. */
  unlessSigned?: boolean;
}

export interface ScenarioStep {
  step: string;
  event: OmamoriEvent;
  /** Preset or policy name → expected decision. */
  expect: Record<string, Expectation>;
}

export interface Scenario { name: string; platform: Platform; steps: ScenarioStep[] }

/** Parses a scenario file; throws an Error naming the step and field that is wrong (scenario files are ours). */
export function parseScenario(text: string): Scenario {
  const raw = parse(text) as { name?: unknown; platform?: unknown; steps?: unknown };
  if (typeof raw?.name !== 'string') throw new Error("scenario: 'name' is missing");
  if (raw.platform !== 'linux' && raw.platform !== 'windows') throw new Error(`scenario ${raw.name}: 'platform' must be linux or windows`);
  if (!Array.isArray(raw.steps)) throw new Error(`scenario ${raw.name}: 'steps' must be a list`);
  const platform = raw.platform;
  const steps = raw.steps.map((s: { step?: string; event?: object; expect?: Record<string, string> }, i: number): ScenarioStep => {
    const where = `scenario ${raw.name}, step ${i + 1} (${s.step ?? '?'})`;
    const event = { v: 1, platform, id: String(i + 1), ...s.event } as OmamoriEvent;
    const bad = checkEvent(event);
    if (bad) throw new Error(`${where}: ${bad}`);
    const expect: Record<string, Expectation> = {};
    for (const [preset, value] of Object.entries(s.expect ?? {})) {
      const [verdict, reason, flag] = String(value).split(/\s+/);
      if (verdict !== 'allow' && verdict !== 'deny' && verdict !== 'audit-deny') throw new Error(`${where}: expect.${preset} has bad verdict '${verdict}'`);
      if (flag !== undefined && flag !== 'unless-signed') throw new Error(`${where}: expect.${preset} has unknown flag '${flag}' (only unless-signed)`);
      expect[preset] = reason ? { verdict, reason, ...(flag ? { unlessSigned: true } : {}) } : { verdict };
    }
    return { step: s.step ?? `step ${i + 1}`, event, expect };
  });
  return { name: raw.name, platform, steps };
}

/** Compares a decision to an expectation; returns a description of the difference, or undefined. */
export function compareDecision(d: Pick<Decision, 'verdict' | 'reason' | 'unlessSigned'>, e: Expectation): string | undefined {
  if (d.verdict !== e.verdict || (e.reason !== undefined && d.reason !== e.reason)
    || (e.unlessSigned !== undefined && (d.unlessSigned ?? false) !== e.unlessSigned)) {
    return `expected ${e.verdict}${e.reason ? ' ' + e.reason : ''}${e.unlessSigned ? ' unless-signed' : ''}, got ${d.verdict} ${d.reason}${d.unlessSigned ? ' unless-signed' : ''}`;
  }
  return undefined;
}
