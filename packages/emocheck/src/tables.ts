// The constants EmoCheck v2.0 checks against (docs/emocheck.md, "Sources"). The keyword list is the word list of the
// 2019–2020 Emotet loader as published in JPCERT/CC's EmoCheck (BSD-3-Clause, (c) JPCERT/CC; see NOTICE in this
// package); test/tables.test.ts compares it with the spec's tables.json so a transcription slip cannot go unnoticed.

/** V1: the 64 words, joined with ',' (356 characters). */
export const V1_KEYWORDS: readonly string[] = [
  'duck', 'mfidl', 'targets', 'ptr', 'khmer', 'purge', 'metrics', 'acc', 'inet', 'msra', 'symbol', 'driver',
  'sidebar', 'restore', 'msg', 'volume', 'cards', 'shext', 'query', 'roam', 'etw', 'mexico', 'basic', 'url',
  'createa', 'blb', 'pal', 'cors', 'send', 'devices', 'radio', 'bid', 'format', 'thrd', 'taskmgr', 'timeout', 'vmd',
  'ctl', 'bta', 'shlp', 'avi', 'exce', 'dbt', 'pfx', 'rtp', 'edge', 'mult', 'clr', 'wmistr', 'ellipse', 'vol',
  'cyan', 'ses', 'guid', 'wce', 'wmp', 'dvb', 'elem', 'channel', 'space', 'digital', 'pdeft', 'violet', 'thunk',
];
export const V1_JOINED = V1_KEYWORDS.join(',');

/** V3: a candidate smaller than this is not reported. */
export const V3_MIN_FILE_SIZE = 10_000;

/** V4 regular expressions (EmoCheck's; JavaScript syntax). */
export const V4_DIR_RE = /^[A-Za-z]{4,16}$/;
export const V4_FILE_RE = /^(?!.*\.(exe|dll)$)[A-Za-z]{3,15}\.[A-Za-z]{3}$/;
export const V4_RUN_VALUE_NAME_RE = /^[A-Za-z]{7,16}$/;
export const V4_COMMAND_RES: readonly RegExp[] = [
  /^.*rundll32\.exe.*,.*RunDLL.*$/,
  /^.*rundll32\.exe.*,.*ShowDialogA.*$/,
  /^.*rundll32\.exe.*,.*[A-Za-z]{4,15}.*$/,
];

/** V5: (folder mtime − file mtime) in FILETIME ticks, integer-divided by 1e6, must fall in this range (≈ 7 days). */
export const V5_MIN_QUOTIENT = 6_047_997n;
export const V5_MAX_QUOTIENT = 6_048_002n;
export const V5_DIVISOR = 1_000_000n;
