// Incident tasks from the console (isolate, release, collect, check): each arrives in a heartbeat answer, signed by
// the console key pinned at enrollment and addressed to this agent; it runs at most once per agent run, one at a time,
// through a handler the caller injects (the CLI wires the response module and the checks). The result is posted back
// and re-posted on a later heartbeat when the console did not get it. A task without a handler is reported failed.
// A task past its signed expiry is not started; a task the console cancelled (signed cancellation) is dropped if it
// has not started yet.
import { createPublicKey, verify } from 'node:crypto';
import { verifyWithConsoleKey } from './verify.ts';
import { AGENT_API_PREFIX, taskCancelPayload, taskSigningPayload, type AgentTask, type AgentTaskKind, type SignedAgentTask, type SignedTaskCancel, type TaskResultRequest } from '@omamori/policy';
import type { Enrollment } from './identity.ts';
import type { Transport } from './transport.ts';
import type { KeyObject } from 'node:crypto';

export type TaskHandler = (task: AgentTask) => Promise<TaskResultRequest>;
export type TaskHandlers = Partial<Record<AgentTaskKind, TaskHandler>>;

export type TaskCheck = { ok: true; task: AgentTask } | { ok: false; message: string };


/** A cancellation for this agent, signed by the console: the task id it cancels, else undefined. */
export function checkTaskCancel(c: SignedTaskCancel, e: Pick<Enrollment, 'agentId' | 'consoleKey'>): string | undefined {
  if (!c || typeof c !== 'object' || !c.cancel || typeof c.signature !== 'string' || typeof c.cancel.taskId !== 'string') return undefined;
  if (c.cancel.agentId !== e.agentId || !verifyWithConsoleKey(e.consoleKey, taskCancelPayload(c.cancel), c.signature)) return undefined;
  return c.cancel.taskId;
}

export function checkSignedTask(s: SignedAgentTask, e: Pick<Enrollment, 'agentId' | 'consoleKey'>, now = Date.now()): TaskCheck {
  if (!s || typeof s !== 'object' || !s.task || typeof s.signature !== 'string' || typeof s.task.id !== 'string') return { ok: false, message: 'not a signed task' };
  let good = false;
  try {
    const key = createPublicKey({ key: Buffer.from(e.consoleKey, 'base64'), format: 'der', type: 'spki' });
    good = verify(null, Buffer.from(taskSigningPayload(s.task)), key, Buffer.from(s.signature, 'base64'));
  } catch { good = false; }
  if (!good) return { ok: false, message: `task ${s.task.id}: the signature does not verify with the console key` };
  if (s.task.agentId !== e.agentId) return { ok: false, message: `task ${s.task.id} is for agent ${s.task.agentId}` };
  if (typeof s.task.expiresAt === 'number' && now > s.task.expiresAt) return { ok: false, message: `task ${s.task.id} expired at ${new Date(s.task.expiresAt).toISOString()}` };
  return { ok: true, task: s.task };
}

export interface TaskRunner {
  /** Tasks from a heartbeat answer: new ones are queued, finished ones whose result was not delivered are re-posted. */
  offer(tasks: SignedAgentTask[]): void;
  /** Signed cancellations: queued tasks among them are dropped (a running one finishes). Returns the dropped ids. */
  cancel(cancels: SignedTaskCancel[]): string[];
  /** Resolves when every queued task has run and its result post was tried. */
  idle(): Promise<void>;
}

export function createTaskRunner(o: {
  enrollment: Pick<Enrollment, 'agentId' | 'consoleKey'>; transport: Transport; signer: { agentId: string; key: KeyObject };
  handlers: TaskHandlers; log: (line: string) => void;
}): TaskRunner {
  /** Task id → its result once run (undefined while queued or running); `posted` once the console took it. */
  const seen = new Map<string, { result?: TaskResultRequest; posted: boolean; started?: boolean; cancelled?: boolean }>();
  let chain: Promise<void> = Promise.resolve();

  async function post(id: string): Promise<void> {
    const s = seen.get(id);
    if (!s?.result || s.posted) return;
    try {
      await o.transport.request('POST', `${AGENT_API_PREFIX}/tasks/${encodeURIComponent(id)}/result`, s.result, o.signer);
      s.posted = true;
    } catch (e) { o.log(`task ${id}: reporting the result failed (retried with the next heartbeat): ${(e as Error).message}`); }
  }

  async function run(task: AgentTask): Promise<void> {
    const state = seen.get(task.id);
    if (state?.cancelled) { o.log(`task ${task.id}: cancelled by the console before it started`); return; }
    if (typeof task.expiresAt === 'number' && Date.now() > task.expiresAt) { o.log(`task ${task.id}: expired before it started`); seen.set(task.id, { posted: true }); return; }
    if (state) state.started = true;
    const handler = o.handlers[task.kind];
    let result: TaskResultRequest;
    o.log(`task ${task.id}: ${task.kind} asked by ${task.requestedBy} (${task.reason})`);
    if (!handler) result = { status: 'failed', message: `this agent has no handler for '${task.kind}' tasks` };
    else {
      try { result = await handler(task); } catch (e) { result = { status: 'failed', message: `the ${task.kind} handler failed: ${(e as Error).message}` }; }
    }
    o.log(`task ${task.id}: ${task.kind} ${result.status}: ${result.message}`);
    seen.set(task.id, { result, posted: false });
    await post(task.id);
  }

  return {
    offer(tasks) {
      for (const s of tasks) {
        const id = s?.task?.id;
        if (typeof id !== 'string') continue;
        const known = seen.get(id);
        if (known) { if (known.result && !known.posted) chain = chain.then(() => post(id)); continue; }
        const c = checkSignedTask(s, o.enrollment);
        if (!c.ok) { seen.set(id, { posted: true }); o.log(`task refused: ${c.message}`); continue; }
        seen.set(id, { posted: false });
        chain = chain.then(() => run(c.task));
      }
      if (seen.size > 10_000) for (const [k, v] of seen) { if (v.posted) seen.delete(k); if (seen.size <= 5_000) break; }
    },
    cancel(cancels) {
      const dropped: string[] = [];
      for (const c of cancels) {
        const id = checkTaskCancel(c, o.enrollment);
        if (!id) continue;
        const s = seen.get(id);
        if (s && !s.started && !s.result && !s.cancelled) { s.cancelled = true; s.posted = true; dropped.push(id); }
        else if (!s) seen.set(id, { posted: true, cancelled: true });
      }
      return dropped;
    },
    idle: () => chain,
  };
}
