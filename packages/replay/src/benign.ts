// False blocks on benign recordings: the shared data's manifest marks recordings of ordinary machines (category
// BENIGN, and BENIGN? for logs of real machines whose history is not documented); each is replayed under a policy
// and its stops counted against its process starts. A stop is definite, or holds only "unless signed" (the log
// carries no signature for it). Used by `npm run bench:false-blocks` and the benign tests.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CompiledPolicy } from '@omamori/policy';
import type { Block } from './replay.ts';
import { replayPaths } from './replay-paths.ts';

export interface BenignRecording {
  /** Name for reports (the folder, or the file). */
  name: string;
  category: string;
  /** Input for the replay: a folder (its logs are one machine's) or one file. */
  path: string;
}

export interface BenignMeasurement {
  recording: BenignRecording;
  records: number;
  starts: number;
  /** Stops that hold whatever the signatures. */
  blocks: Block[];
  /** Stops that hold unless signed by a trusted publisher (the log carries no signature). */
  unlessSigned: Block[];
}

export interface BenignTotals {
  records: number;
  starts: number;
  blocks: number;
  unlessSigned: number;
  /** Definite stops per 10,000 process starts (NaN without starts). */
  blocksPer10k: number;
  unlessSignedPer10k: number;
}

interface ManifestEntry { file: string; category: string }

/**
 * The benign recordings of a shared data folder, from its manifest.json: event logs (.evtx) of category BENIGN or
 * BENIGN?; files of one folder marked BENIGN are one machine (one recording), BENIGN? files are each their own.
 */
export function benignRecordings(dataDir: string): BenignRecording[] {
  const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const out: BenignRecording[] = [];
  const folders = new Set<string>();
  for (const e of manifest) {
    if (!e.file.toLowerCase().endsWith('.evtx') || (e.category !== 'BENIGN' && e.category !== 'BENIGN?')) continue;
    if (!existsSync(join(dataDir, e.file))) continue;
    if (e.category === 'BENIGN' && manifest.filter((x) => x.category === 'BENIGN' && dirname(x.file) === dirname(e.file)).length > 1) {
      const dir = dirname(e.file);
      if (!folders.has(dir)) { folders.add(dir); out.push({ name: dir, category: e.category, path: join(dataDir, dir) }); }
      continue;
    }
    out.push({ name: e.file, category: e.category, path: join(dataDir, e.file) });
  }
  return out;
}

/** Replays each benign recording under `policy` and collects its stops. */
export async function measureBenign(recordings: readonly BenignRecording[], policy: CompiledPolicy): Promise<BenignMeasurement[]> {
  const out: BenignMeasurement[] = [];
  for (const rec of recordings) {
    const r = await replayPaths([rec.path], { policy, maxBlocksPerTree: 10_000 });
    const all = r.trees.flatMap((t) => t.blocks);
    out.push({
      recording: rec, records: r.stats.records, starts: r.stats.starts,
      blocks: all.filter((b) => !b.unlessSigned), unlessSigned: all.filter((b) => b.unlessSigned),
    });
  }
  return out;
}

export function benignTotals(ms: readonly BenignMeasurement[]): BenignTotals {
  const t = { records: 0, starts: 0, blocks: 0, unlessSigned: 0 };
  for (const m of ms) { t.records += m.records; t.starts += m.starts; t.blocks += m.blocks.length; t.unlessSigned += m.unlessSigned.length; }
  const per = (n: number) => (t.starts > 0 ? (n / t.starts) * 10_000 : NaN);
  return { ...t, blocksPer10k: per(t.blocks), unlessSignedPer10k: per(t.unlessSigned) };
}
