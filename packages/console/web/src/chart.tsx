// Blocks over time as an inline SVG chart with two series, each on its own scale: real blocks (enforce) on top and
// would-blocks (audit) below, so a handful of real blocks never vanish under thousands of audit events. Ticks are
// hours for a day and dates for longer periods (24-hour clock); a text table gives the same figures to screen readers.
// Buckets without events are drawn as empty slots.
import { useI18n } from './i18n.ts';

export interface Point { t: number; deny: number; auditDeny: number }

const DAY = 86_400_000;

export function BlocksChart({ from, to, bucketMs, points }: { from: number; to: number; bucketMs: number; points: Point[] }) {
  const { t, time, lang } = useI18n();
  const first = Math.floor(from / bucketMs) * bucketMs;
  const slots: Point[] = [];
  const byT = new Map(points.map((p) => [p.t, p]));
  for (let x = first; x <= to; x += bucketMs) slots.push(byT.get(x) ?? { t: x, deny: 0, auditDeny: 0 });
  const maxDeny = Math.max(1, ...slots.map((s) => s.deny));
  const maxAudit = Math.max(1, ...slots.map((s) => s.auditDeny));
  const W = 720; const pad = { l: 44, r: 12 }; const bandH = 80; const gap = 22; const top = 14;
  const bands = [
    { key: 'deny' as const, label: t('verdict.deny'), max: maxDeny, y0: top + bandH, cls: 'bar-deny' },
    { key: 'auditDeny' as const, label: t('verdict.auditDeny'), max: maxAudit, y0: top + bandH + gap + bandH, cls: 'bar-audit' },
  ];
  const H = top + 2 * bandH + gap + 26;
  const bw = (W - pad.l - pad.r) / Math.max(1, slots.length);
  const total = slots.reduce((n, s) => n + s.deny + s.auditDeny, 0);
  const long = to - from > 2 * DAY;
  const locale = lang === 'ja' ? 'ja-JP' : 'en-GB';
  const tickFmt = new Intl.DateTimeFormat(locale, long ? { month: 'numeric', day: 'numeric' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  // Ticks: for long periods at the first slot of each local day (thinned to at most 8), else every few hours.
  const ticks = new Set<number>();
  if (long) {
    const starts = slots.filter((s, i) => i === 0 || new Date(s.t).toDateString() !== new Date(slots[i - 1]!.t).toDateString());
    const k = Math.ceil(starts.length / 8);
    starts.forEach((s, j) => { if (j % k === 0) ticks.add(s.t); });
  } else {
    const step = Math.ceil(slots.length / 8);
    slots.forEach((s, i) => { if (i % step === 0) ticks.add(s.t); });
  }
  const tickAt = (s: Point) => ticks.has(s.t);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('dash.chartLabel', { total })} width="100%">
        {bands.map((b) => {
          const y = (v: number) => b.y0 - bandH * (v / b.max);
          return (
            <g key={b.key} data-series={b.key}>
              <text x={pad.l} y={b.y0 - bandH - 3} className="series">{b.label}</text>
              <line x1={pad.l} x2={W - pad.r} y1={b.y0} y2={b.y0} className="axis" />
              <text x={pad.l - 4} y={y(b.max) + 8} textAnchor="end" className="tick">{b.max}</text>
              <text x={pad.l - 4} y={b.y0} textAnchor="end" className="tick">0</text>
              {slots.map((s, i) => s[b.key] > 0 ? (
                <rect key={s.t} x={pad.l + i * bw + 1} width={Math.max(1, bw - 2)} y={y(s[b.key])} height={b.y0 - y(s[b.key])} className={b.cls} data-t={s.t}>
                  <title>{`${time(s.t)}: ${b.label} ${s[b.key]}`}</title>
                </rect>) : null)}
            </g>
          );
        })}
        <g className="ticks">
          {slots.map((s, i) => tickAt(s) ? <text key={s.t} x={pad.l + i * bw} y={H - 6} className="tick" data-tick={s.t}>{tickFmt.format(new Date(s.t))}</text> : null)}
        </g>
      </svg>
      <figcaption>
        <span className="key deny" aria-hidden="true" /> {t('verdict.deny')} <span className="key audit" aria-hidden="true" /> {t('verdict.auditDeny')}
        {' '}<small>{t('dash.scales')}</small>
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
