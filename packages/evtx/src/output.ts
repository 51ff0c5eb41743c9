// Text forms of a record: the JSON-lines object of `omamori evtx dump` and the XML of `--format xml`. A record
// found by `recover` says so: `"recovered": true` in JSON, a comment line before its XML.
import { DecodedRecord, type EvtxRecord } from './record.ts';
import { nodesToXml, writeNodesXml } from './record-xml.ts';
import type { ByteSink } from './sink.ts';
import { renderXml } from './xml.ts';

/** The XML text of a record (no declaration), ending in a newline; straight from the binary XML when it can. */
export function recordToXml(r: EvtxRecord): string {
  return r instanceof DecodedRecord ? nodesToXml(r.nodes) : renderXml(r.root);
}

/** The JSON-lines form of a record: one object with System fields and EventData/UserData by name. */
export function recordToJson(r: EvtxRecord, file?: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (file !== undefined) o.file = file;
  o.recordId = r.recordId;
  o.timestamp = r.timestamp;
  o.chunk = r.chunk;
  o.offset = r.offset;
  o.system = r.system;
  o.data = r.data;
  if (r.userData) o.userData = r.userData;
  if (r.recovered) o.recovered = true;
  return o;
}

/** One JSON line (with the newline). */
export function recordToJsonLine(r: EvtxRecord, file?: string): string {
  return JSON.stringify(recordToJson(r, file)) + '\n';
}

/** The record's XML, preceded by `<!-- recovered … -->` for a record found in slack space. */
export function recordToXmlText(r: EvtxRecord): string {
  const xml = recordToXml(r);
  return r.recovered ? `<!-- recovered: record ${r.recordId} from slack space at offset 0x${r.offset.toString(16)} -->\n${xml}` : xml;
}

/** Writes `recordToXmlText(r)` into a byte sink as UTF-8 (how dumps are written: no large strings are built). */
export function writeRecordXml(r: EvtxRecord, sink: ByteSink): void {
  if (r.recovered) sink.str(`<!-- recovered: record ${r.recordId} from slack space at offset 0x${r.offset.toString(16)} -->\n`);
  if (r instanceof DecodedRecord) writeNodesXml(r.nodes, sink);
  else sink.str(renderXml(r.root));
}
