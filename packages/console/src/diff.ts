// Line diff of two policy versions (longest common subsequence), for the version history view.

export interface DiffLine { op: ' ' | '+' | '-'; line: string; /** 1-based line number in the old (-, ' ') or new (+) text. */ n: number }

export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.split('\n'); const y = b.split('\n');
  // Trim the common head and tail so the table covers only the changed middle.
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail); const ys = y.slice(head, y.length - tail);
  const n = xs.length; const m = ys.length;
  const t = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
    t[i]![j] = xs[i] === ys[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  }
  const out: DiffLine[] = x.slice(0, head).map((line, i) => ({ op: ' ' as const, line, n: i + 1 }));
  let i = 0; let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) { out.push({ op: ' ', line: xs[i]!, n: head + i + 1 }); i++; j++; }
    else if (j < m && (i >= n || t[i]![j + 1]! > t[i + 1]![j]!)) { out.push({ op: '+', line: ys[j]!, n: head + j + 1 }); j++; }
    else { out.push({ op: '-', line: xs[i]!, n: head + i + 1 }); i++; }
  }
  x.slice(x.length - tail).forEach((line, k) => out.push({ op: ' ', line, n: x.length - tail + k + 1 }));
  return out;
}
