// Waking agents at once instead of at their next heartbeat: an agent keeps one signed long-poll open
// (GET /api/agent/v1/wait?since=MARK) and gets an answer as soon as anything that may concern it changes (a group's
// policy or rollout, a policy version, an exception, a task, "apply now"); it then heartbeats immediately. The mark
// lives in the database (settings `agent_wake`), so a change made through one console process wakes the agents
// waiting on another: each process reads it once a second while anyone waits.
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.ts';

export interface AgentWake {
  /** Something changed: wake every waiting agent (here and, through the database, on other console processes). */
  changed(): void;
  /** Resolves with the current mark once it differs from `since`, or after `ms`, or when the console closes. */
  wait(since: string, ms: number): Promise<string>;
  close(): void;
}

const KEY = 'agent_wake';

export function createAgentWake(db: Kysely<Database>, pollMs = 1000): AgentWake {
  let mark = '';
  const waiters = new Set<{ since: string; done: (m: string) => void }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const read = async () => (await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst())?.value ?? '0';
  const release = () => { for (const w of [...waiters]) if (w.since !== mark) { waiters.delete(w); w.done(mark); } };
  const poll = () => {
    if (timer || closed || waiters.size === 0) return;
    timer = setTimeout(async () => {
      timer = undefined;
      try { mark = await read(); release(); } catch { /* the store is away: waiters time out on their own */ }
      poll();
    }, pollMs);
    timer.unref();
  };
  return {
    changed() {
      const value = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      mark = value;
      release();
      void db.insertInto('settings').values({ key: KEY, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute().catch(() => {});
    },
    async wait(since, ms) {
      if (!mark) mark = await read();
      if (since !== mark || closed) return mark;
      return new Promise<string>((resolve) => {
        const w = { since, done: (m: string) => { clearTimeout(t); resolve(m); } };
        const t = setTimeout(() => { waiters.delete(w); resolve(mark); }, ms);
        waiters.add(w);
        poll();
      });
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of [...waiters]) { waiters.delete(w); w.done(mark); }
    },
  };
}
