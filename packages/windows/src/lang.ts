// The Windows compiler's output language (the mapping report is written in Japanese and English).
export type Lang = 'ja' | 'en';
