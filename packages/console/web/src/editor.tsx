// The policy text editor: a textarea with a line-number gutter that marks the lines the validator complained about,
// and the list of problems (line, column, message in the UI language). Choosing a problem puts the cursor on its line.
import { forwardRef, useImperativeHandle, useRef } from 'react';
import type { PolicyProblem } from './api.ts';
import { useI18n } from './i18n.ts';

export interface EditorHandle { goTo(line: number, column?: number): void }

export const PolicyEditor = forwardRef<EditorHandle, {
  id: string; label: string; value: string; onChange(v: string): void; problems: PolicyProblem[]; readOnly?: boolean;
}>(function PolicyEditor({ id, label, value, onChange, problems, readOnly }, ref) {
  const { t } = useI18n();
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;
  const bad = new Map<number, 'error' | 'warning'>();
  for (const p of problems) if (p.line > 0 && bad.get(p.line) !== 'error') bad.set(p.line, p.severity);
  const goTo = (line: number, column = 1) => {
    const a = area.current; if (!a) return;
    const starts = [0]; for (let i = 0; i < value.length; i++) if (value[i] === '\n') starts.push(i + 1);
    const pos = Math.min(value.length, (starts[line - 1] ?? value.length) + Math.max(0, column - 1));
    a.focus(); a.setSelectionRange(pos, pos);
    const lh = a.scrollHeight / Math.max(1, lines);
    a.scrollTop = Math.max(0, (line - 4) * lh);
  };
  useImperativeHandle(ref, () => ({ goTo }));
  const errors = problems.filter((p) => p.severity === 'error').length;
  return (
    <div className="editor-wrap">
      <label htmlFor={id}>{label}</label>
      <div className="editor">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => <div key={i} className={bad.get(i + 1) ?? undefined} data-line={i + 1}>{i + 1}</div>)}
        </div>
        <textarea id={id} ref={area} value={value} spellCheck={false} wrap="off" readOnly={readOnly}
          aria-invalid={errors > 0} aria-describedby={problems.length ? `${id}-problems` : undefined}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop; }} />
      </div>
      {problems.length ? (
        <div id={`${id}-problems`} className="problems" role="alert">
          <p>{errors ? t('pol.problems', { n: errors }) : t('pol.warnings', { n: problems.length })}</p>
          <ul>{problems.map((p, i) => (
            <li key={i} className={p.severity} data-line={p.line}>
              <button type="button" className="linkish" onClick={() => goTo(p.line, p.column)}>
                {t('pol.at', { line: p.line, column: p.column })}
              </button>{' '}
              <span>{p.severity === 'error' ? t('pol.error') : t('pol.warning')}: {p.message}</span>{p.path ? <> <code>{p.path}</code></> : null} <small>({p.code})</small>
            </li>))}</ul>
        </div>) : null}
    </div>
  );
});
