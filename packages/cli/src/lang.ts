// Chooses the user's language: `--lang` wins, then LC_ALL, LC_MESSAGES, LANG (ja* → Japanese), else English.
import type { Lang } from './command.ts';

export function detectLang(env: NodeJS.ProcessEnv): Lang {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const v = env[name];
    if (v) return v.toLowerCase().startsWith('ja') ? 'ja' : 'en';
  }
  return 'en';
}

/** Picks the text for the language; `t({en, ja}, lang)`. */
export function t(text: Record<Lang, string>, lang: Lang): string {
  return text[lang];
}
