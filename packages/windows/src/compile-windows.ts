// compileWindows(policy): every file `omamori windows compile` writes, by name, from one WindowsPlan — and, for an
// enforce or lockdown policy, the audit step offered before it (apply-audit.ps1 with app-control-base-audit.xml).
import type { CompiledPolicy } from '@omamori/policy';
import { renderBasePolicy, renderSupplementalPolicy } from './app-control.ts';
import { compileWindowsPlan, type WindowsCompileOptions, type WindowsPlan } from './plan.ts';
import { renderMappingReport } from './report.ts';
import { encodeRegFile, renderApplyScript, renderIntuneJson, renderRegFile, renderRevertScript, supplementalXmlName } from './scripts.ts';

export interface WindowsArtefacts {
  plan: WindowsPlan;
  /** The audit step of an enforce/lockdown policy (undefined for an audit policy, which is its own audit step). */
  auditPlan?: WindowsPlan;
  /** File name → content (text files are UTF-8; the .reg files are UTF-16LE with a BOM, as regedit writes them). */
  files: Map<string, string | Buffer>;
}

export function compileWindows(policy: CompiledPolicy, opts: WindowsCompileOptions): WindowsArtefacts {
  const plan = compileWindowsPlan(policy, { ...opts, auditStep: false });
  const auditPlan = plan.policy.mode === 'audit' ? undefined : compileWindowsPlan(policy, { ...opts, auditStep: true });
  const files = new Map<string, string | Buffer>();
  files.set(plan.appControl.baseXml, renderBasePolicy(plan));
  if (auditPlan) files.set(auditPlan.appControl.baseXml, renderBasePolicy(auditPlan));
  for (const s of plan.appControl.supplementals) files.set(supplementalXmlName(s.exceptionId), renderSupplementalPolicy(plan, s));
  if (auditPlan) files.set('apply-audit.ps1', renderApplyScript(auditPlan));
  files.set('apply.ps1', renderApplyScript(plan));
  files.set('revert.ps1', renderRevertScript(plan));
  files.set('office.reg', encodeRegFile(renderRegFile(plan, false)));
  files.set('office-revert.reg', encodeRegFile(renderRegFile(plan, true)));
  files.set('intune.json', renderIntuneJson(plan));
  files.set('mapping.en.md', renderMappingReport(plan, 'en'));
  files.set('mapping.ja.md', renderMappingReport(plan, 'ja'));
  return { plan, ...(auditPlan ? { auditPlan } : {}), files };
}
