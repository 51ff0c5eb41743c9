// Replaying FILE|DIR arguments: recordings read in parts on every core (sources.ts), each recording's records
// observed in order, then mapped and decided by `createReplayRun` (replay.ts).
import type { WindowsMapper } from './mapper.ts';
import { createReplayRun, type ReplayOptions, type ReplayResult } from './replay.ts';
import { findRecordings, readRecordingParts } from './sources.ts';
import type { WinRecord } from './win-record.ts';

/** Replays FILE|DIR arguments. Input problems and damaged parts are reported in the result, never thrown. */
export async function replayPaths(paths: readonly string[], options: ReplayOptions): Promise<ReplayResult> {
  const { recordings, problems } = findRecordings(paths);
  const run = createReplayRun(options);
  run.result.problems.push(...problems);
  let current = -1;
  let records: WinRecord[] = [];
  let mapper: WindowsMapper | undefined;
  const read = readRecordingParts(recordings, {
    ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
    recover: options.recover === true,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  for await (const { recording, part } of read) {
    if (recording !== current) {
      if (mapper) run.replay(records);
      for (let skipped = current + 1; skipped < recording; skipped++) { run.beginRecording(recordings[skipped]!); run.replay([]); }
      current = recording;
      records = [];
      mapper = run.beginRecording(recordings[recording]!);
    }
    for (const i of part.issues) run.issue(i);
    for (const r of part.records) if (mapper!.observe(r)) records.push(r);
    // Records the parts only counted go through observe as what they were (provider, channel, id): the mapper
    // counts them as unmapped exactly as it would the whole record.
    for (const [provider, channel, eventId, n] of part.unmapped) {
      const stub: WinRecord = { provider, channel, eventId, computer: '', time: NaN, data: {}, where: '' };
      for (let k = 0; k < n; k++) mapper!.observe(stub);
    }
    run.recovered(part.recovered);
  }
  if (mapper) run.replay(records);
  for (let skipped = current + 1; skipped < recordings.length; skipped++) { run.beginRecording(recordings[skipped]!); run.replay([]); }
  return run.finish();
}

