// A model Windows machine for running generated apply/revert scripts in MiniPowerShell: Defender preferences (ASR
// rules, Controlled Folder Access), App Control policies behind CiTool, user hives in the registry model, and the
// record file (kept as JSON text, so it round-trips through ConvertTo-Json/ConvertFrom-Json as on Windows).
// Defender semantics: Add-MpPreference adds a rule or changes its action, Remove-MpPreference removes it,
// Set-MpPreference -EnableControlledFolderAccess sets the mode (Disabled 0, Enabled 1, AuditMode 2).
import { MiniPowerShell, PsObject, type Val } from './interpreter.ts';
import { RegistryModel } from './registry-model.ts';

const ASR_VALUE: Record<string, number> = { disabled: 0, enabled: 1, auditmode: 2, warn: 6 };
const CFA_VALUE: Record<string, number> = { disabled: 0, enabled: 1, auditmode: 2 };

export class PsThrow extends Error {}

function fromJson(v: unknown): Val {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object') return new PsObject(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)])));
  return v as Val;
}

export interface FakeWindowsState {
  asr: Map<string, number>;
  cfa: number;
  folders: string[];
  /** Active App Control policy IDs, lower-case without braces. */
  policies: Set<string>;
  hives: string[];
  ciTool: boolean;
  build: number;
  /** The record file's text, or undefined when it does not exist. */
  recordFile?: string;
}

export class FakeWindows {
  readonly registry: RegistryModel;
  readonly state: FakeWindowsState;
  /** State-changing commands run (Defender, CiTool, policy files), in order. */
  readonly changes: string[] = [];
  /** When set, CiTool fails with this exit code. */
  ciToolFails?: number;

  constructor(init: Partial<FakeWindowsState> = {}) {
    this.state = { asr: new Map(), cfa: 0, folders: [], policies: new Set(), hives: ['Registry::HKEY_USERS\\S-1-5-21-100-200-300-1001'], ciTool: true, build: 22631, ...init };
    this.registry = new RegistryModel(this.state.hives);
  }

  /** Everything a revert must restore, as one comparable value. */
  snapshot(): unknown {
    return {
      asr: [...this.state.asr].sort(), cfa: this.state.cfa, folders: [...this.state.folders].sort(),
      policies: [...this.state.policies].sort(), office: this.state.hives.map((h) => this.registry.dump(h)),
    };
  }

  shell(opts: { vars?: Record<string, Val>; now?: number } = {}): MiniPowerShell {
    const st = this.state;
    const id = (s: unknown) => String(s).replace(/[{}]/g, '').toLowerCase();
    const host = {
      'Get-OmamoriAsr': () => new PsObject(Object.fromEntries(st.asr)),
      'Get-MpPreference': () => new PsObject({
        AttackSurfaceReductionRules_Ids: [...st.asr.keys()], AttackSurfaceReductionRules_Actions: [...st.asr.values()],
        EnableControlledFolderAccess: st.cfa, ControlledFolderAccessProtectedFolders: [...st.folders],
      }),
      'Add-MpPreference': (_p: Val[], n: Record<string, Val>) => {
        if (n['-attacksurfacereductionrules_ids'] !== undefined) {
          const a = n['-attacksurfacereductionrules_actions'];
          const v = typeof a === 'number' ? a : ASR_VALUE[String(a).toLowerCase()];
          if (v === undefined) throw new Error(`Add-MpPreference: bad action ${String(a)}`);
          st.asr.set(String(n['-attacksurfacereductionrules_ids']).toLowerCase(), v);
        }
        if (n['-controlledfolderaccessprotectedfolders'] !== undefined) {
          const f = String(n['-controlledfolderaccessprotectedfolders']);
          if (!st.folders.includes(f)) st.folders.push(f);
        }
        this.changes.push(`Add-MpPreference ${JSON.stringify(n)}`);
        return null;
      },
      'Remove-MpPreference': (_p: Val[], n: Record<string, Val>) => {
        if (n['-attacksurfacereductionrules_ids'] !== undefined) st.asr.delete(String(n['-attacksurfacereductionrules_ids']).toLowerCase());
        if (n['-controlledfolderaccessprotectedfolders'] !== undefined) st.folders = st.folders.filter((f) => f !== n['-controlledfolderaccessprotectedfolders']);
        this.changes.push(`Remove-MpPreference ${JSON.stringify(n)}`);
        return null;
      },
      'Set-MpPreference': (_p: Val[], n: Record<string, Val>) => {
        const m = n['-enablecontrolledfolderaccess'];
        if (m === undefined) throw new Error('Set-MpPreference: only -EnableControlledFolderAccess is modelled');
        st.cfa = typeof m === 'number' ? m : CFA_VALUE[String(m).toLowerCase()]!;
        this.changes.push(`Set-MpPreference cfa=${st.cfa}`);
        return null;
      },
      'Get-OmamoriUserHives': () => [...st.hives],
      'Test-OmamoriCiTool': () => st.ciTool,
      'Get-OmamoriActivePolicies': () => [...st.policies],
      'ConvertFrom-CIPolicy': () => null,
      'Invoke-OmamoriCiTool': (p: Val[]) => {
        if (this.ciToolFails) throw new PsThrow(`CiTool ${String(p[0])} failed (exit code ${this.ciToolFails})`);
        const file = String(p[1]);
        if (p[0] === '--update-policy') st.policies.add(id(file.replace(/^.*\\/, '').replace(/\.cip$/i, '')));
        else if (p[0] === '--remove-policy') st.policies.delete(id(file));
        else throw new Error(`CiTool ${String(p[0])} not modelled`);
        this.changes.push(`CiTool ${String(p[0])} ${file}`);
        return null;
      },
      'Copy-Item': (_p: Val[], n: Record<string, Val>) => {
        st.policies.add(id(String(n['-destination']).replace(/^.*\\/, '').replace(/\.cip$/i, '')));
        this.changes.push(`Copy-Item ${String(n['-destination'])}`);
        return null;
      },
      'Remove-Item': (_p: Val[], n: Record<string, Val>) => {
        const path = String(n['-literalpath']);
        if (/record\.json$/i.test(path)) { if (st.recordFile === undefined) throw new PsThrow(`Remove-Item: ${path} not found`); delete st.recordFile; }
        else if (/\.cip$/i.test(path)) st.policies.delete(id(path.replace(/^.*\\/, '').replace(/\.cip$/i, '')));
        else throw new Error(`Remove-Item ${path} not modelled`);
        this.changes.push(`Remove-Item ${path}`);
        return null;
      },
      'Read-OmamoriRecord': () => (st.recordFile === undefined ? null : fromJson(JSON.parse(st.recordFile))),
      'Save-OmamoriRecord': (p: Val[]) => { st.recordFile = JSON.stringify(p[0]); return null; },
      'Get-CimInstance': () => new PsObject({ BuildNumber: String(st.build) }),
    };
    return new MiniPowerShell(this.registry, {
      host, vars: { PSScriptRoot: 'C:\\omamori\\compiled', ...opts.vars },
      env: { ProgramData: 'C:\\ProgramData', TEMP: 'C:\\Windows\\Temp', windir: 'C:\\Windows', COMPUTERNAME: 'PC-01' },
      ...(opts.now !== undefined ? { now: opts.now } : {}),
    });
  }
}
