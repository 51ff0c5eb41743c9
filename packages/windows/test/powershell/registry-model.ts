// A recorded model of the PowerShell registry provider (Microsoft.PowerShell.Commands.RegistryProvider), for the
// cmdlets omamori's scripts use on registry paths. Each rule cites the provider source it was recorded from:
// PowerShell/PowerShell, src/System.Management.Automation/namespaces/RegistryProvider.cs (read at commit 046af59538:
// "NewItem" — "Remove the existing key before creating the new one" then RemoveItem(path, false) when -Force is given;
// "RemoveItem" — key.DeleteSubKeyTree(childName), its recurse argument "Ignored. All removes are recursive"), and
// the behaviour PowerShell/PowerShell issue #5444 reports from a real machine ("Registry provider: New-Item -Force
// shouldn't blindly recreate the leaf path component (registry key)": the values of the key are lost).
//
//  New-Item KEY (no -Force), KEY exists      → error "KeyAlreadyExists" (ResourceExists); nothing changes.
//  New-Item KEY -Force, KEY exists           → the provider calls RemoveItem(KEY, recurse: false), which deletes
//                                              the key with all its values and subkeys (DeleteSubKeyTree), then
//                                              creates KEY empty.
//  New-Item KEY -Force, parents missing      → CreateIntermediateKeys creates them, then KEY.
//  New-Item KEY (no -Force), parent missing  → error (GetRegkeyForPathWriteIfError on the parent).
//  New-ItemProperty -Force                   → sets the value (replacing an existing one of any type); the key must
//                                              exist, else error. Without -Force an existing value is an error.
//  Remove-ItemProperty                       → removes the value; a missing value or key is an error (the scripts
//                                              pass -ErrorAction SilentlyContinue).
//  Test-Path                                 → whether the key exists.

export interface RegValue { type: 'DWord' | 'String'; data: number | string }

/** Errors the provider reports; with $ErrorActionPreference = 'Stop' each ends the script. */
export class RegistryError extends Error {
  constructor(readonly id: string, readonly path: string) { super(`${id}: ${path}`); }
}

const norm = (p: string): string => p.replace(/^Registry::/i, '').replace(/^HKCU:\\?/i, 'HKEY_CURRENT_USER\\').replace(/^HKLM:\\?/i, 'HKEY_LOCAL_MACHINE\\')
  .replace(/\\+$/, '').toLowerCase();

export class RegistryModel {
  private readonly keys = new Map<string, { name: string; values: Map<string, RegValue & { name: string }> }>();
  /** Every mutating operation, for assertions ("the second run changes nothing"). */
  readonly writes: string[] = [];

  constructor(hiveRoots: string[]) { for (const r of hiveRoots) this.keys.set(norm(r), { name: r, values: new Map() }); }

  private parent(p: string): string | undefined { const i = p.lastIndexOf('\\'); return i > 0 ? p.slice(0, i) : undefined; }

  exists(path: string): boolean { return this.keys.has(norm(path)); }

  newItem(path: string, force: boolean): void {
    const k = norm(path);
    if (this.keys.has(k)) {
      if (!force) throw new RegistryError('KeyAlreadyExists', path);
      this.removeKey(k);   // RemoveItem(path, false) before creating the new key
    }
    const missing: string[] = [];
    for (let p = this.parent(k); p !== undefined && !this.keys.has(p); p = this.parent(p)) missing.push(p);
    if (missing.length > 0 && !force) throw new RegistryError('ParentKeyMissing', path);
    for (const p of missing.reverse()) this.keys.set(p, { name: p, values: new Map() });
    this.keys.set(k, { name: path, values: new Map() });
    this.writes.push(`New-Item ${path}`);
  }

  private removeKey(k: string): void {
    for (const key of [...this.keys.keys()]) if (key === k || key.startsWith(`${k}\\`)) this.keys.delete(key);
    this.writes.push(`Remove-Item ${k}`);
  }

  setValue(path: string, name: string, value: RegValue, force: boolean): void {
    const key = this.keys.get(norm(path));
    if (!key) throw new RegistryError('PathNotFound', path);
    if (!force && key.values.has(name.toLowerCase())) throw new RegistryError('PropertyAlreadyExists', `${path}\\${name}`);
    key.values.set(name.toLowerCase(), { name, ...value });
    this.writes.push(`Set ${path}\\${name}=${value.data}`);
  }

  removeValue(path: string, name: string): void {
    const key = this.keys.get(norm(path));
    if (!key) throw new RegistryError('PathNotFound', path);
    if (!key.values.delete(name.toLowerCase())) throw new RegistryError('PropertyNotFound', `${path}\\${name}`);
    this.writes.push(`Remove ${path}\\${name}`);
  }

  getValue(path: string, name: string): RegValue | undefined {
    const v = this.keys.get(norm(path))?.values.get(name.toLowerCase());
    return v ? { type: v.type, data: v.data } : undefined;
  }

  /** Every value under a key and its subkeys, as `relative\key|name=data` lines (sorted), for comparisons. */
  dump(under: string): string[] {
    const base = norm(under);
    const out: string[] = [];
    for (const [k, v] of this.keys) {
      if (k !== base && !k.startsWith(`${base}\\`)) continue;
      const rel = k.slice(base.length).replace(/^\\/, '');
      for (const x of v.values.values()) out.push(`${rel}|${x.name}=${x.data}`);
    }
    return out.sort();
  }
}
