// applyWindowsPolicy / verifyWindowsPolicy: bring a machine to a WindowsPlan and check it stays there, through the
// PowerShell door only. Both first query what is in force, so applying twice issues no command the second time.
import type { PowerShell } from './powershell.ts';
import type { WindowsPlan } from '@omamori/windows';
import { diffState, emptyState, parseWindowsState, STATE_QUERY, type DiffOptions, type Drift, type WindowsState } from './state.ts';

export interface ApplyResult {
  /** What differed before applying (each with the command that was run, or would run in dry-run). */
  changes: Drift[];
  /** Commands that failed: the drift and PowerShell's error text. */
  failures: { drift: Drift; error: string }[];
  /** False when the state could not be read (dry-run off Windows): every setting is then planned. */
  stateKnown: boolean;
  /**
   * Set when nothing was applied because the plan enforces App Control on a machine where its base policy was never
   * deployed, not even in audit mode (see ApplyOptions.requireAuditStep).
   */
  refused?: 'audit-step-missing';
}

export interface ApplyOptions extends DiffOptions {
  /**
   * Refuse to enforce App Control on a machine where this policy (same PolicyID) never ran, in audit mode or at all:
   * the audit step comes first (`omamori windows apply --audit-step`, or apply-audit.ps1). Used by the CLI; the
   * managed agent follows the console's modes instead.
   */
  requireAuditStep?: boolean;
}

async function readState(ps: PowerShell): Promise<{ state: WindowsState; known: boolean; error?: string }> {
  const r = await ps.run(STATE_QUERY, 'read Defender, App Control and Office settings in force');
  if (r.code !== 0 || r.stdout.trim() === '') return { state: emptyState(), known: false, ...(r.stderr ? { error: r.stderr.trim() } : {}) };
  return { state: parseWindowsState(r.stdout.trim()), known: true };
}

export async function applyWindowsPolicy(plan: WindowsPlan, ps: PowerShell, opts: ApplyOptions): Promise<ApplyResult> {
  const { state, known, error } = await readState(ps);
  if (!known && ps.live) throw new Error(`cannot read the settings in force: ${error ?? 'no output'}`);
  if (opts.requireAuditStep && known && !plan.appControl.audit && !state.policies.has(plan.appControl.policyId.replace(/[{}]/g, '').toLowerCase())) {
    return { changes: [], failures: [], stateKnown: known, refused: 'audit-step-missing' };
  }
  const changes = diffState(plan, state, opts);
  const failures: ApplyResult['failures'] = [];
  for (const d of changes) {
    const r = await ps.run(d.fix, `${d.area}: ${d.what}`);
    if (r.code !== 0) failures.push({ drift: d, error: r.stderr.trim() || `exit code ${r.code}` });
  }
  return { changes, failures, stateKnown: known };
}

export interface VerifyResult { drift: Drift[]; stateKnown: boolean }

/** What differs from the plan now (empty = everything in force). Runs nothing but the read-only query. */
export async function verifyWindowsPolicy(plan: WindowsPlan, ps: PowerShell, opts: DiffOptions): Promise<VerifyResult> {
  const { state, known, error } = await readState(ps);
  if (!known && ps.live) throw new Error(`cannot read the settings in force: ${error ?? 'no output'}`);
  return { drift: diffState(plan, state, opts), stateKnown: known };
}
