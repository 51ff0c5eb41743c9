// Blocks over time as an inline SVG bar chart (stacked: blocked, would-block in audit), with a text table
// equivalent for screen readers. Buckets without events are drawn as empty slots.
import { useI18n } from './i18n.ts';

export interface Point { t: number; deny: number; auditDeny: number }

export function BlocksChart({ from, to, bucketMs, points }: { from: number; to: number; bucketMs: number; points: Point[] }) {
  const { t, time } = useI18n();
  const first = Math.floor(from / bucketMs) * bucketMs;
  const slots: Point[] = [];
  const byT = new Map(points.map((p) => [p.t, p]));
  for (let x = first; x <= to; x += bucketMs) slots.push(byT.get(x) ?? { t: x, deny: 0, auditDeny: 0 });
  const max = Math.max(1, ...slots.map((s) => s.deny + s.auditDeny));
  const W = 720; const H = 200; const pad = { l: 36, r: 36, t: 8, b: 24 };
  const bw = (W - pad.l - pad.r) / Math.max(1, slots.length);
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const total = slots.reduce((n, s) => n + s.deny + s.auditDeny, 0);
  const hour = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('dash.chartLabel', { total })} width="100%">
        <line x1={pad.l} x2={W - pad.r} y1={y(0)} y2={y(0)} className="axis" />
        <text x={pad.l - 4} y={y(max) + 4} textAnchor="end" className="tick">{max}</text>
        <text x={pad.l - 4} y={y(0)} textAnchor="end" className="tick">0</text>
        {slots.map((s, i) => {
          const x = pad.l + i * bw;
          return (
            <g key={s.t}>
              <title>{`${time(s.t)}: ${t('verdict.deny')} ${s.deny}, ${t('verdict.auditDeny')} ${s.auditDeny}`}</title>
              <rect x={x + 1} width={Math.max(1, bw - 2)} y={y(s.deny)} height={y(0) - y(s.deny)} className="bar-deny" />
              <rect x={x + 1} width={Math.max(1, bw - 2)} y={y(s.deny + s.auditDeny)} height={y(s.deny) - y(s.deny + s.auditDeny)} className="bar-audit" />
              {i % Math.ceil(slots.length / 8) === 0 ? <text x={x} y={H - 6} className="tick">{hour(s.t)}</text> : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span className="key deny" aria-hidden="true" /> {t('verdict.deny')} <span className="key audit" aria-hidden="true" /> {t('verdict.auditDeny')}
      </figcaption>
      <details>
        <summary>{t('dash.asTable')}</summary>
        <table>
          <thead><tr><th scope="col">{t('col.time')}</th><th scope="col">{t('verdict.deny')}</th><th scope="col">{t('verdict.auditDeny')}</th></tr></thead>
          <tbody>{slots.filter((s) => s.deny + s.auditDeny > 0).map((s) => <tr key={s.t}><td>{time(s.t)}</td><td>{s.deny}</td><td>{s.auditDeny}</td></tr>)}</tbody>
        </table>
      </details>
    </figure>
  );
}
