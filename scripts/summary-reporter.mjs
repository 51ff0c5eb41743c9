// Test reporter for `node --test`: one line per finished test, failures in full, and CI's closing line
// `N passed, N failed, N skipped`. Only leaf tests are counted (a suite or a test with subtests is not).
// With several files, node reports each file as a top-level test: it is a leaf only when it failed to load.
import { inspect } from 'node:util';

export default async function* summaryReporter(source) {
  let passed = 0, failed = 0, skipped = 0;
  const childSeen = [];
  const suites = []; // names of the suites open at each nesting level (from test:start)
  const failures = [];
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:stdout' || type === 'test:stderr') { yield data.message; continue; }
    if (type === 'test:diagnostic') continue;
    if (type === 'test:start') { suites[data.nesting] = data.name; continue; }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const k = data.nesting;
    const hadChildren = Boolean(childSeen[k + 1]);
    childSeen[k + 1] = false;
    childSeen[k] = true;
    if (hadChildren || data.details?.type === 'suite') {
      if (type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
        failed++; failures.push(data); // a hook or the suite itself failed
        yield `✗ ${data.name} (suite)\n`;
      }
      continue;
    }
    const full = [...suites.slice(0, data.nesting), data.name].join(' › ');
    const where = data.file ? ` [${data.file.replace(process.cwd() + '/', '')}]` : '';
    if (data.skip !== undefined || data.todo !== undefined) {
      skipped++; yield `- ${full}${where} (skipped${typeof data.skip === 'string' ? ': ' + data.skip : ''})\n`;
    } else if (type === 'test:pass') {
      passed++; yield `✓ ${full} (${(data.details?.duration_ms ?? 0).toFixed(0)} ms)\n`;
    } else {
      failed++; failures.push({ ...data, name: full }); yield `✗ ${full}${where}\n`;
    }
  }
  for (const f of failures) {
    const err = f.details?.error;
    const cause = err?.cause ?? err;
    yield `\n--- FAILED: ${f.name}${f.file ? ' [' + f.file + ']' : ''}\n${inspect(cause, { depth: 4 })}\n`;
  }
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
