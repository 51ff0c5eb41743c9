// Names and paths for people: characters that reorder or hide text (right-to-left overrides, isolates, zero-width
// marks) and control characters are shown as visible `[U+202E]` marks, so `gpj.exe` cannot pose as `exe.jpg` and a
// host name cannot carry a line break into a log. Host names are stored neutralised; paths are stored as the agent
// sent them (an exception must match the real file) and neutralised where shown (UI, exports, reports).
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

export function neutralize(s: string): string {
  return s.replace(HIDDEN, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

export function hasHidden(s: string): boolean {
  HIDDEN.lastIndex = 0;
  const r = HIDDEN.test(s);
  HIDDEN.lastIndex = 0;
  return r;
}
