// What an alert says, in Japanese or English: a subject line, a plain text body and the same facts as JSON (for the
// webhook and syslog structured data). Pure. Names and paths are neutralised (no hidden characters, no line breaks).
import type { UploadedEvent } from '@omamori/policy';
import { reasonText } from '@omamori/policy';
import { neutralize } from '../text.ts';

export type AlertInput =
  | { kind: 'block'; agentId: string; hostname: string; events: UploadedEvent[] }
  | { kind: 'incident'; incidentId: string; title: string; hostname: string; by: string }
  | { kind: 'test'; by: string };

export interface AlertMessage {
  kind: AlertInput['kind'];
  /** 4 warning (block), 2 critical (incident), 5 notice (test): the syslog severity. */
  severity: number;
  time: number;
  subject: string;
  text: string;
  data: Record<string, unknown>;
}

const MAX_LISTED = 10;

export function composeAlert(a: AlertInput, lang: 'ja' | 'en', now: number, suppressed = 0): AlertMessage {
  const ja = lang === 'ja';
  const more = suppressed > 0 ? [ja ? `(この前に ${suppressed} 件の通知を送信上限のため省略しました)` : `(${suppressed} earlier alert(s) were not sent: rate limit)`] : [];
  if (a.kind === 'block') {
    const host = neutralize(a.hostname);
    const n = a.events.length;
    const lines = a.events.slice(0, MAX_LISTED).map((e) => {
      const chain = e.lineage.map((l) => neutralize(l.image.split(/[\\/]/).pop() ?? l.image)).join(' > ');
      return `- ${new Date(e.time).toISOString()} ${neutralize(e.rule)}: ${neutralize(e.object)} (${reasonText(e.reason, lang)}) [${chain}]`;
    });
    if (n > MAX_LISTED) lines.push(ja ? `… ほか ${n - MAX_LISTED} 件` : `… and ${n - MAX_LISTED} more`);
    return {
      kind: 'block', severity: 4, time: now,
      subject: ja ? `omamori: ${host} で ${n} 件を阻止しました` : `omamori: ${n} block(s) on ${host}`,
      text: [...more, ja ? `端末 ${host} (${a.agentId}) で次の実行を阻止しました:` : `On endpoint ${host} (${a.agentId}) omamori blocked:`, ...lines].join('\n'),
      data: { kind: 'block', endpoint: a.agentId, hostname: host, count: n, suppressed,
        events: a.events.slice(0, MAX_LISTED).map((e) => ({ time: e.time, rule: e.rule, reason: e.reason, object: neutralize(e.object), key: e.key })) },
    };
  }
  if (a.kind === 'incident') {
    const host = neutralize(a.hostname);
    return {
      kind: 'incident', severity: 2, time: now,
      subject: ja ? `omamori: インシデントを開始しました (${host})` : `omamori: incident opened on ${host}`,
      text: [...more, ja ? `${a.by} が端末 ${host} のインシデント「${neutralize(a.title)}」を開始しました (ID ${a.incidentId})。` : `${a.by} opened incident "${neutralize(a.title)}" on ${host} (id ${a.incidentId}).`].join('\n'),
      data: { kind: 'incident', incident: a.incidentId, hostname: host, title: neutralize(a.title), by: a.by, suppressed },
    };
  }
  return {
    kind: 'test', severity: 5, time: now,
    subject: ja ? 'omamori: テスト通知' : 'omamori: test alert',
    text: ja ? `${a.by} が送ったテスト通知です。` : `A test alert sent by ${a.by}.`,
    data: { kind: 'test', by: a.by },
  };
}
