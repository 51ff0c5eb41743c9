// The sync protocol's limits and body checks, used by BOTH sides: the console validates every agent request body with
// these functions (routes/agent.ts), and the agent checks each event with the same function before it uploads it, so
// an event the console would refuse is quarantined on the endpoint instead of blocking its uploads. Every limit is a
// number here and nowhere else (docs/console.md lists them). Pure: no I/O. Problem codes are stable strings.

export const PROTOCOL_LIMITS = {
  /** Nesting depth of any JSON body the console reads (deeper → 400 before anything else looks at it). */
  jsonDepth: 32,
  /** Body bytes of a request whose signature is not verified yet (enrollment; agents without the content-hash header). */
  unverifiedBodyBytes: 64 * 1024,
  /** Events per upload batch and bytes per batch body (the console's body limit for /events). */
  batchEvents: 500,
  batchBytes: 2 * 1024 * 1024,
  /** Bytes of one event as JSON. */
  eventBytes: 48 * 1024,
  /** Quarantine reports carried in one batch. */
  batchQuarantined: 100,
  key: 128, path: 4096, reason: 64, rule: 128, kind: 64, policyVersion: 64, guarded: 128, lineage: 64,
  user: 256, commandLine: 8192, signer: 512, hostname: 253, agentVersion: 64, mode: 32,
  /** detail: keys, nesting depth, length of one string, bytes as JSON. */
  detailKeys: 32, detailDepth: 4, detailString: 4096, detailBytes: 16 * 1024,
  /** Times are ms since the epoch up to the year 9999; pids and counters fit a 32-bit signed integer (both stores). */
  timeMax: 253_402_300_799_999,
  int32Max: 2_147_483_647,
  /** Heartbeat: free-form detail entries, host facts. */
  heartbeatDetailKeys: 64, heartbeatDetailString: 512, hostFactString: 256, hostFactList: 32,
  /** Task results. */
  taskMessage: 4000, taskFindings: 500,
} as const;

/** Why a value was refused: where (`events[3].detail.x`), a stable code and a message in English. */
export interface ProtocolProblem { path: string; code: ProtocolProblemCode; message: string }
export type ProtocolProblemCode =
  | 'TYPE' | 'MISSING' | 'UNKNOWN_FIELD' | 'TOO_LONG' | 'TOO_SHORT' | 'TOO_MANY' | 'RANGE' | 'NUL' | 'ENCODING'
  | 'DEPTH' | 'TOO_LARGE' | 'VALUE' | 'FORMAT';

type Check = (v: unknown, path: string) => ProtocolProblem | undefined;
const L = PROTOCOL_LIMITS;
const bad = (path: string, code: ProtocolProblemCode, message: string): ProtocolProblem => ({ path, code, message });
const typeName = (v: unknown) => v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text both stores keep byte for byte: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8). */
export function textProblem(s: string, path: string): ProtocolProblem | undefined {
  if (s.includes('\u0000')) return bad(path, 'NUL', 'contains a NUL character');
  if (LONE_SURROGATE.test(s)) return bad(path, 'ENCODING', 'contains an unpaired surrogate (not valid UTF-8)');
  return undefined;
}

const str = (max: number, min = 0, pattern?: RegExp): Check => (v, path) => {
  if (typeof v !== 'string') return bad(path, 'TYPE', `must be a string, not ${typeName(v)}`);
  if (v.length > max) return bad(path, 'TOO_LONG', `is ${v.length} characters; at most ${max}`);
  if (v.length < min) return bad(path, 'TOO_SHORT', `must have at least ${min} character(s)`);
  if (pattern && !pattern.test(v)) return bad(path, 'FORMAT', `does not match ${pattern.source}`);
  return textProblem(v, path);
};
const int = (min: number, max: number): Check => (v, path) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return bad(path, 'TYPE', `must be an integer, not ${typeName(v)}`);
  if (v < min || v > max) return bad(path, 'RANGE', `${v} is outside ${min}…${max}`);
  return undefined;
};
const bool: Check = (v, path) => typeof v === 'boolean' ? undefined : bad(path, 'TYPE', `must be true or false, not ${typeName(v)}`);
const oneOf = (...values: string[]): Check => (v, path) =>
  typeof v === 'string' && values.includes(v) ? undefined : bad(path, 'VALUE', `must be one of ${values.join(', ')}`);
const arr = (item: Check, max: number, min = 0): Check => (v, path) => {
  if (!Array.isArray(v)) return bad(path, 'TYPE', `must be an array, not ${typeName(v)}`);
  if (v.length > max) return bad(path, 'TOO_MANY', `has ${v.length} items; at most ${max}`);
  if (v.length < min) return bad(path, 'TOO_SHORT', `must have at least ${min} item(s)`);
  for (let i = 0; i < v.length; i++) { const p = item(v[i], `${path}[${i}]`); if (p) return p; }
  return undefined;
};
type Shape = Record<string, { check: Check; optional?: boolean }>;
const req = (check: Check) => ({ check });
const opt = (check: Check) => ({ check, optional: true });
const obj = (shape: Shape): Check => (v, path) => {
  if (!isObj(v)) return bad(path, 'TYPE', `must be an object, not ${typeName(v)}`);
  const at = (k: string) => path ? `${path}.${k}` : k;
  for (const k of Object.keys(v)) if (!(k in shape)) return bad(at(k), 'UNKNOWN_FIELD', `unknown field '${k}'`);
  for (const [k, s] of Object.entries(shape)) {
    if (v[k] === undefined) { if (!s.optional) return bad(at(k), 'MISSING', `missing required field '${k}'`); continue; }
    const p = s.check(v[k], at(k)); if (p) return p;
  }
  return undefined;
};
const record = (value: Check, maxKeys: number, keyMax = 64): Check => (v, path) => {
  if (!isObj(v)) return bad(path, 'TYPE', `must be an object, not ${typeName(v)}`);
  const keys = Object.keys(v);
  if (keys.length > maxKeys) return bad(path, 'TOO_MANY', `has ${keys.length} keys; at most ${maxKeys}`);
  for (const k of keys) {
    const kp = k.length > keyMax ? bad(`${path}.${k.slice(0, 32)}…`, 'TOO_LONG', `key is longer than ${keyMax}`) : textProblem(k, `${path}.${k}`);
    if (kp) return kp;
    const p = value(v[k], `${path}.${k}`); if (p) return p;
  }
  return undefined;
};
const scalar = (strMax: number): Check => (v, path) => {
  if (typeof v === 'string') return str(strMax)(v, path);
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : bad(path, 'RANGE', 'must be a finite number');
  if (typeof v === 'boolean') return undefined;
  return bad(path, 'TYPE', `must be a string, number or boolean, not ${typeName(v)}`);
};

/** Free-form JSON of bounded depth, keys and strings (event `detail`). */
function jsonValue(depth: number): Check {
  return (v, path) => {
    if (v === null || typeof v !== 'object') return v === null ? undefined : scalar(L.detailString)(v, path);
    if (depth >= L.detailDepth) return bad(path, 'DEPTH', `nested deeper than ${L.detailDepth} levels`);
    if (Array.isArray(v)) return arr(jsonValue(depth + 1), L.detailKeys)(v, path);
    return record(jsonValue(depth + 1), L.detailKeys)(v, path);
  };
}

const sha256Hex = /^[0-9a-fA-F]{64}$/;

const LineageEntryCheck = obj({ pid: req(int(0, L.int32Max)), image: req(str(L.path)), guarded: opt(str(L.guarded)) });
const eventShape: Shape = {
  key: req(str(L.key, 1)),
  time: req(int(0, L.timeMax)),
  verdict: req(oneOf('allow', 'deny', 'audit-deny')),
  reason: req(str(L.reason)), rule: req(str(L.rule)), policyVersion: req(str(L.policyVersion)), kind: req(str(L.kind)),
  pid: req(int(0, L.int32Max)),
  object: req(str(L.path)), guarded: opt(str(L.guarded)),
  lineage: req(arr(LineageEntryCheck, L.lineage)),
  user: opt(str(L.user)), commandLine: opt(str(L.commandLine)), sha256: opt(str(64, 64, sha256Hex)), signer: opt(str(L.signer)),
  detail: opt(record(jsonValue(1), L.detailKeys)),
};
const eventCheck = obj(eventShape);

/** One uploaded event: undefined when the console stores it as it is, else the first problem. */
export function checkUploadedEvent(e: unknown, path = ''): ProtocolProblem | undefined {
  const p = eventCheck(e, path);
  if (p) return p;
  const detail = (e as { detail?: unknown }).detail;
  if (detail !== undefined && JSON.stringify(detail).length > L.detailBytes) return bad(path ? `${path}.detail` : 'detail', 'TOO_LARGE', `is larger than ${L.detailBytes} bytes as JSON`);
  if (JSON.stringify(e).length > L.eventBytes) return bad(path, 'TOO_LARGE', `the event is larger than ${L.eventBytes} bytes as JSON`);
  return undefined;
}

/** What an agent reports about an event it could not upload (kept by the console with its reason, shown in the UI). */
const quarantineCheck = obj({
  key: req(str(L.key, 1)), time: opt(int(0, L.timeMax)), code: req(str(64)), reason: req(str(1000)), excerpt: req(str(2000)),
});
export function checkQuarantineReport(q: unknown, path = ''): ProtocolProblem | undefined { return quarantineCheck(q, path); }

/** The batch envelope only (each event is checked on its own, so one bad event does not refuse the others). */
export function checkEventBatchShape(b: unknown): ProtocolProblem | undefined {
  if (!isObj(b)) return bad('', 'TYPE', `the body must be an object, not ${typeName(b)}`);
  for (const k of Object.keys(b)) if (k !== 'events' && k !== 'quarantined') return bad(k, 'UNKNOWN_FIELD', `unknown field '${k}'`);
  if (!Array.isArray(b.events)) return bad('events', b.events === undefined ? 'MISSING' : 'TYPE', 'events must be an array');
  if (b.events.length > L.batchEvents) return bad('events', 'TOO_MANY', `has ${b.events.length} events; at most ${L.batchEvents}`);
  if (b.quarantined !== undefined) {
    const p = arr(quarantineCheck, L.batchQuarantined)(b.quarantined, 'quarantined'); if (p) return p;
  }
  if (b.events.length === 0 && !(Array.isArray(b.quarantined) && b.quarantined.length > 0)) return bad('events', 'TOO_SHORT', 'a batch carries at least one event or quarantine report');
  return undefined;
}

const hostFactsCheck = obj({
  os: opt(str(L.hostFactString)), kernel: opt(str(L.hostFactString)), arch: opt(str(32)),
  addresses: opt(arr(str(64), L.hostFactList)), users: opt(arr(str(64), L.hostFactList)),
  uptimeSeconds: opt(int(0, L.int32Max)), bootTime: opt(int(0, L.timeMax)),
});

const heartbeatCheck = obj({
  state: req(oneOf('protecting', 'sync-only', 'degraded')),
  agentVersion: req(str(L.agentVersion)),
  policyVersion: req(int(0, L.int32Max)),
  policyEpoch: opt(int(0, L.timeMax)),
  mode: opt(str(L.mode)),
  policyMissing: opt(bool),
  spooled: req(int(0, L.int32Max)),
  hostname: opt(str(L.hostname, 1)),
  detail: opt(record(scalar(L.heartbeatDetailString), L.heartbeatDetailKeys)),
  host: opt(hostFactsCheck),
  tlsPins: opt(arr(str(128), 4)),
  tasksRunning: opt(arr(str(64), 32)),
});
export function checkHeartbeat(b: unknown): ProtocolProblem | undefined { return heartbeatCheck(b, ''); }

const enrollCheck = obj({
  token: req(str(200, 1)), publicKey: req(str(200, 40)), hostname: req(str(L.hostname, 1)),
  platform: req(oneOf('linux', 'windows')), agentVersion: req(str(L.agentVersion)),
});
export function checkEnroll(b: unknown): ProtocolProblem | undefined { return enrollCheck(b, ''); }

const rotateCheck = obj({ publicKey: req(str(200, 40)), proof: req(str(200, 40)) });
export function checkKeyRotation(b: unknown): ProtocolProblem | undefined { return rotateCheck(b, ''); }

const findingCheck = obj({
  code: req(str(64)), severity: req(oneOf('infected', 'review')), title: req(str(1000)), path: opt(str(L.path)),
  detail: opt(record(str(L.detailString), 32)),
});
/** Any JSON up to `maxDepth` levels, bounded by its size only (a collect manifest lists every file it took). */
function sizedJson(maxDepth: number, maxBytes: number): Check {
  const walk = (v: unknown, path: string, depth: number): ProtocolProblem | undefined => {
    if (typeof v === 'string') return textProblem(v, path);
    if (typeof v === 'number') return Number.isFinite(v) ? undefined : bad(path, 'RANGE', 'must be a finite number');
    if (v === null || typeof v !== 'object') return undefined;
    if (depth >= maxDepth) return bad(path, 'DEPTH', `nested deeper than ${maxDepth} levels`);
    for (const [k, x] of Object.entries(v)) { const p = textProblem(k, path) ?? walk(x, `${path}.${k}`, depth + 1); if (p) return p; }
    return undefined;
  };
  return (v, path) => walk(v, path, 0) ?? (JSON.stringify(v ?? null).length > maxBytes ? bad(path, 'TOO_LARGE', `is larger than ${maxBytes} bytes as JSON`) : undefined);
}
const manifestCheck = sizedJson(8, 512 * 1024);
const taskResultCheck = obj({
  status: req(oneOf('done', 'failed')), message: req(str(L.taskMessage)),
  check: opt(obj({ checker: req(str(64)), verdict: req(oneOf('clean', 'findings')), examined: req(int(0, L.int32Max)), findings: req(arr(findingCheck, L.taskFindings)) })),
  evidence: opt(obj({ path: req(str(L.path)), bundleSha256: req(str(64, 64, /^[0-9a-f]{64}$/)), bundleSize: req(int(0, Number.MAX_SAFE_INTEGER)), manifestSha256: req(str(64, 64, /^[0-9a-f]{64}$/)), manifest: opt(manifestCheck) })),
  isolation: opt(obj({ isolated: req(bool), since: req(str(64)), console: req(arr(str(128), 32)) })),
});
export function checkTaskResult(b: unknown): ProtocolProblem | undefined { return taskResultCheck(b, ''); }

/**
 * Nesting depth of a JSON text, counted without parsing (strings skipped), so a 5,000-deep body is refused in linear
 * time before JSON.parse or a validator recurses into it. Returns the depth, stopping early once past `limit`.
 */
export function jsonDepth(text: string, limit: number = L.jsonDepth): number {
  let depth = 0; let max = 0; let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) { depth++; if (depth > max) { max = depth; if (max > limit) return max; } }
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}
