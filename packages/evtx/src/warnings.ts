// Warnings of the EVTX reader: stable codes (only ever appended) with English and Japanese messages.
// A warning is a value; the reader never throws on bad input, it reports and skips the damaged part.

/** Stable warning codes. Never change the meaning of one; add new ones at the end. */
export const EVTX_WARNING_CODES = {
  FILE_TOO_SMALL: 'EVTX_FILE_TOO_SMALL',
  FILE_SIGNATURE: 'EVTX_FILE_SIGNATURE',
  FILE_HEADER_CRC: 'EVTX_FILE_HEADER_CRC',
  FILE_READ_ERROR: 'EVTX_FILE_READ_ERROR',
  CHUNK_TRUNCATED: 'EVTX_CHUNK_TRUNCATED',
  CHUNK_SIGNATURE: 'EVTX_CHUNK_SIGNATURE',
  CHUNK_HEADER_CRC: 'EVTX_CHUNK_HEADER_CRC',
  CHUNK_DATA_CRC: 'EVTX_CHUNK_DATA_CRC',
  CHUNK_FREE_SPACE: 'EVTX_CHUNK_FREE_SPACE',
  RECORD_SIGNATURE: 'EVTX_RECORD_SIGNATURE',
  RECORD_SIZE: 'EVTX_RECORD_SIZE',
  RECORD_BINXML: 'EVTX_RECORD_BINXML',
  RECORD_UNKNOWN_VALUE_TYPE: 'EVTX_RECORD_UNKNOWN_VALUE_TYPE',
  CHUNK_RECORDS_PAST_FREE_SPACE: 'EVTX_CHUNK_RECORDS_PAST_FREE_SPACE',
  CHUNK_GAP: 'EVTX_CHUNK_GAP',
  CHUNK_HEADER_MISSING: 'EVTX_CHUNK_HEADER_MISSING',
} as const;

export type EvtxWarningCode = (typeof EVTX_WARNING_CODES)[keyof typeof EVTX_WARNING_CODES];

/** One located problem found while reading. `offset` is the absolute file offset of the damaged structure. */
export interface EvtxWarning {
  file: string;
  /** Index of the 64 KiB chunk in the file (0-based), or -1 for the file header. */
  chunk: number;
  /** Absolute byte offset in the file of the damaged header or record. */
  offset: number;
  /** Record identifier from the record header, when one could be read. */
  recordId?: number;
  code: EvtxWarningCode;
  message: string;
  message_ja: string;
}

type Texts = { en: string; ja: string };

const TEXTS: Record<EvtxWarningCode, (d: string) => Texts> = {
  EVTX_FILE_TOO_SMALL: (d) => ({ en: `file is too small to be EVTX (${d})`, ja: `EVTX としては小さすぎるファイルです (${d})` }),
  EVTX_FILE_SIGNATURE: (d) => ({ en: `file header signature is not "ElfFile" (${d}); trying chunks anyway`, ja: `ファイルヘッダーの署名が "ElfFile" ではありません (${d})。チャンクの読み取りを試みます` }),
  EVTX_FILE_HEADER_CRC: (d) => ({ en: `file header CRC32 mismatch (${d})`, ja: `ファイルヘッダーの CRC32 が一致しません (${d})` }),
  EVTX_FILE_READ_ERROR: (d) => ({ en: `read error: ${d}`, ja: `読み取りエラー: ${d}` }),
  EVTX_CHUNK_TRUNCATED: (d) => ({ en: `chunk is truncated (${d}); skipped`, ja: `チャンクが途中で切れています (${d})。読み飛ばしました` }),
  EVTX_CHUNK_SIGNATURE: (d) => ({ en: `chunk signature is not "ElfChnk" (${d}); chunk skipped`, ja: `チャンクの署名が "ElfChnk" ではありません (${d})。チャンクを読み飛ばしました` }),
  EVTX_CHUNK_HEADER_CRC: (d) => ({ en: `chunk header CRC32 mismatch (${d}); chunk skipped`, ja: `チャンクヘッダーの CRC32 が一致しません (${d})。チャンクを読み飛ばしました` }),
  EVTX_CHUNK_DATA_CRC: (d) => ({ en: `event records CRC32 mismatch (${d}); records are checked one by one`, ja: `イベントレコード領域の CRC32 が一致しません (${d})。レコードを個別に検査します` }),
  EVTX_CHUNK_FREE_SPACE: (d) => ({ en: `chunk free-space offset is out of range (${d}); reading to the end of the chunk`, ja: `チャンクの空き領域オフセットが範囲外です (${d})。チャンク末尾まで読みます` }),
  EVTX_RECORD_SIGNATURE: (d) => ({ en: `record signature is not "**\\0\\0" (${d}); rest of chunk scanned for the next record`, ja: `レコードの署名が "**\\0\\0" ではありません (${d})。次のレコードを探します` }),
  EVTX_RECORD_SIZE: (d) => ({ en: `record size is invalid (${d}); record skipped`, ja: `レコードのサイズが不正です (${d})。レコードを読み飛ばしました` }),
  EVTX_RECORD_BINXML: (d) => ({ en: `record binary XML cannot be decoded: ${d}; record skipped`, ja: `レコードのバイナリ XML を解読できません: ${d}。レコードを読み飛ばしました` }),
  EVTX_RECORD_UNKNOWN_VALUE_TYPE: (d) => ({ en: `unknown value type ${d}; shown as hex`, ja: `不明な値の型 ${d} です。16 進で表示します` }),
  EVTX_CHUNK_RECORDS_PAST_FREE_SPACE: (d) => ({ en: `records continue past the chunk's free-space offset (${d}); they are read`, ja: `レコードがチャンクの空き領域オフセットの先まで続いています (${d})。それらも読みます` }),
  EVTX_CHUNK_GAP: (d) => ({ en: `64 KiB block holds no chunk (${d}): a chunk was wiped or its header zeroed; the chunks after it are read`, ja: `64 KiB のブロックにチャンクがありません (${d})。チャンクが消去されたか、ヘッダーがゼロで埋められています。後続のチャンクは読みます` }),
  EVTX_CHUNK_HEADER_MISSING: (d) => ({ en: `64 KiB block holds event records but no chunk header (${d}); its records are not live (read them with --recover)`, ja: `64 KiB のブロックにイベントレコードがありますが、チャンクヘッダーがありません (${d})。有効なレコードではありません (--recover で読めます)` }),
};

export function makeWarning(file: string, chunk: number, offset: number, code: EvtxWarningCode, detail: string,
  recordId?: number): EvtxWarning {
  const t = TEXTS[code](detail);
  const w: EvtxWarning = { file, chunk, offset, code, message: t.en, message_ja: t.ja };
  if (recordId !== undefined) w.recordId = recordId;
  return w;
}

/** One line naming where the problem is: `file: chunk 3 @ 0x31200 (record 77): message`. */
export function formatWarning(w: EvtxWarning, lang: 'en' | 'ja' = 'en'): string {
  const where = w.chunk < 0 ? (lang === 'ja' ? 'ファイルヘッダー' : 'file header')
    : (lang === 'ja' ? `チャンク ${w.chunk}` : `chunk ${w.chunk}`);
  const rec = w.recordId === undefined ? '' : (lang === 'ja' ? ` (レコード ${w.recordId})` : ` (record ${w.recordId})`);
  return `${w.file}: ${where} @ 0x${w.offset.toString(16)}${rec}: [${w.code}] ${lang === 'ja' ? w.message_ja : w.message}`;
}
