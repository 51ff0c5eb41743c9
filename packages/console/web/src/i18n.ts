// The UI's own small i18n: two dictionaries with the same keys (the type makes a missing Japanese text a compile
// error), `{name}` parameters, and the first language the browser prefers among ja/en unless the user chose one.
import { createContext, useContext } from 'react';
import { en, ja, type MessageKey } from './messages.ts';

export type Lang = 'ja' | 'en';
export const LANG_KEY = 'omamori.lang';

/** The stored choice, else the first of navigator.languages that is Japanese or English, else English. */
export function preferredLang(stored: string | null, languages: readonly string[]): Lang {
  if (stored === 'ja' || stored === 'en') return stored;
  for (const l of languages) {
    if (/^ja\b/i.test(l)) return 'ja';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

export function translate(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = (lang === 'ja' ? ja : en)[key];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}

export interface I18n {
  lang: Lang;
  setLang(l: Lang): void;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  /** Date and time, 24-hour clock in both languages. */
  time(ms: number): string;
  /** Date only. */
  date(ms: number): string;
}

export function makeI18n(lang: Lang, setLang: (l: Lang) => void): I18n {
  const locale = lang === 'ja' ? 'ja-JP' : 'en-GB';
  const fmt = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const dfmt = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' });
  return { lang, setLang, t: (k, p) => translate(lang, k, p), time: (ms) => fmt.format(new Date(ms)), date: (ms) => dfmt.format(new Date(ms)) };
}

export const I18nContext = createContext<I18n>(makeI18n('en', () => {}));
export const useI18n = (): I18n => useContext(I18nContext);
export type { MessageKey };
