// Stable GUIDs for compiled App Control policies: a name-based (version 5, SHA-1) UUID, so compiling the same policy
// again gives the same PolicyID and Windows replaces the policy instead of adding a second one.
import { createHash } from 'node:crypto';

/** omamori's own namespace for name-based GUIDs. Never change it: every deployed PolicyID derives from it. */
const NAMESPACE = '6f6d616d-6f72-4900-8000-77696e646f77';

function bytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** RFC 4122 §4.3 name-based UUID (SHA-1), upper-case in braces as App Control writes it. */
export function stableGuid(name: string): string {
  const h = createHash('sha1').update(bytes(NAMESPACE)).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex').toUpperCase();
  return `{${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}}`;
}

export function basePolicyGuid(policyName: string): string {
  return stableGuid(`omamori:app-control:base:${policyName}`);
}

export function supplementalPolicyGuid(policyName: string, exceptionId: string): string {
  return stableGuid(`omamori:app-control:supplemental:${policyName}:${exceptionId}`);
}

/**
 * App Control VersionEx (four 16-bit parts): the policy's monotonic version, then 0 for an audit policy (audit mode or
 * the audit step) and 1 for an enforcing one. The audit step and the enforcing policy share their PolicyID, so
 * without the last part a machine running the audit step would look up to date to `omamori windows apply` and the
 * agent, and never be switched to enforce. Ordered: audit v < enforce v < audit v+1.
 */
export function versionEx(version: number, enforcing = true): string {
  const v = Math.max(0, Math.floor(version));
  return `1.${Math.floor(v / 65536) % 65536}.${v % 65536}.${enforcing ? 1 : 0}`;
}
