// Small shared types of the Windows module.
export type Lang = 'ja' | 'en';
