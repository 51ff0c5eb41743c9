// Public API of @omamori/evtx: a pure-TypeScript reader of Windows EVTX event logs (no native code).
//
// Reading: `readEvtxFile(path, { onWarning })` is a synchronous iterator of `EvtxRecord`s in chunk order; it
// streams the file one 64 KiB chunk at a time through positional reads, so files of any size work.
// `readEvtxRecords(source)` does the same over any `EvtxSource` (`openEvtxSource(path)`,
// `evtxSourceFromBytes(name, bytes)`). Damaged chunks and records are skipped and reported as `EvtxWarning`
// values {file, chunk, offset, code, message, message_ja}; the reader never throws on bad input and always ends.
// `countEvtxRecords(path)` returns the record count with the warnings and counters.
//
// A record: `recordId`, `timestamp` (ISO, record header), `chunk`, `offset`, `system` (Provider, EventID,
// Channel, Computer, TimeCreated, EventRecordID, Level, Task, Opcode, Keywords, ProcessID, ThreadID, UserID, …),
// `data` (EventData `<Data Name=…>` by name; unnamed Data by index "0", "1", …), `userData` (UserData as JSON)
// and `root`, the whole rendered `<Event>` element tree; `renderXml(record.root)` gives its XML text and
// `recordToJson(record)` the JSON-lines form used by `omamori evtx dump`.
//
// Example:
//   for (const r of readEvtxFile('Security.evtx', { onWarning: (w) => console.error(formatWarning(w)) })) {
//     if (r.system.EventID === 4688) console.log(r.data.NewProcessName);
//   }
import { DecodedRecord } from './record.ts';
import { renderXml } from './xml.ts';

export { readEvtxRecords, readEvtxFile, countEvtxRecords, createReadStats, CHUNK_SIZE, FILE_HEADER_SIZE } from './reader.ts';
export type { EvtxReadOptions, EvtxReadStats, EvtxCount } from './reader.ts';
export { openEvtxSource, evtxSourceFromBytes } from './source.ts';
export type { EvtxSource } from './source.ts';
export type { EvtxRecord, EvtxSystem, EvtxJson } from './record.ts';
export { toJson as elementToJson } from './record.ts';
export type { EvtxElement } from './render.ts';
export { textOf } from './render.ts';
export { DecodedRecord };
export { renderXml };
export { EVTX_WARNING_CODES, formatWarning } from './warnings.ts';
export type { EvtxWarning, EvtxWarningCode } from './warnings.ts';
export { VALUE_TYPE, fileTimeToIso } from './values.ts';
export { recordToJson, recordToXml, recordToJsonLine, recordToXmlText, writeRecordXml } from './output.ts';
export { ByteSink } from './sink.ts';
export { countChunks, findEvtxInputs, planEvtxUnits, readEvtxUnits, readEvtxUnit, UNIT_CHUNKS } from './parallel.ts';
export type { EvtxInput, EvtxInputProblem, EvtxUnit, UnitOutput, UnitTask, UnitResult, ReadUnitsOptions } from './parallel.ts';
export { createTaskPool, defaultJobs, orderedHybrid, transferable } from './pool.ts';
export type { TaskPool, TaskContext, Transferable } from './pool.ts';
