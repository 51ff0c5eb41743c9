// What PowerShell's own records say was run: module logging (4103) and pipeline execution details (800) name the
// scripts a pipeline ran and the files it started or invoked (`Start-Process`, `Invoke-Item`, `& path`,
// `.\x.exe`). Pure text work over the record's fields.

export interface PipelineLaunch {
  /** As named (absolute, or relative to the session's location). */
  path: string;
  kind: 'script' | 'start';
}

// Files whose opening runs code (a document opened by Invoke-Item starts its viewer, which is its own start event).
const RUNNABLE = /\.(exe|com|scr|bat|cmd|ps1|vbs|vbe|js|jse|wsf|wsh|hta|msi|cpl|lnk|pif)$/i;

function field(text: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\n)[ \\t]*${name}[ \\t]*=[ \\t]*([^\\r\\n]*)`, 'i').exec(text);
  const v = m?.[1]?.trim();
  return v ? v : undefined;
}

function unquote(s: string): string {
  return s.trim().replace(/^(['"])(.*)\1$/, '$2');
}

/** `ParameterBinding(Start-Process): name="FilePath"; value="C:\x.exe"` → the value. */
function binding(details: string, command: string, params: string[]): string | undefined {
  const re = new RegExp(`ParameterBinding\\(${command}\\): name="(${params.join('|')})"; value="([^"\\r\\n]*)"`, 'i');
  return re.exec(details)?.[2];
}

/** The first command of a pipeline text when it invokes a file: `& 'C:\x.exe' a`, `. .\x.ps1`, `.\x.exe`, `C:\x.exe`. */
function invokedFile(commandText: string): string | undefined {
  const t = commandText.trim();
  const amp = /^[&.]\s*(?:'([^']+)'|"([^"]+)"|([^\s;|]+))/.exec(t);
  const direct = /^(?:'([^']+)'|"([^"]+)"|((?:[a-zA-Z]:|\.{1,2})?[\\/][^\s;|]+|[^\s;|\\/]+\.(?:exe|com|bat|cmd|ps1)))/.exec(t);
  const m = amp ?? direct;
  const f = m?.[1] ?? m?.[2] ?? m?.[3];
  if (f === undefined || f.startsWith('$') || f.startsWith('(') || f.startsWith('{')) return undefined;
  return RUNNABLE.test(f) ? f : undefined;
}

/**
 * The launches of one pipeline record: `fields` are the record's data (4103: `ContextInfo`, `Payload`; 800: the
 * unnamed details or `Message`). Scripts by `ScriptName`/`Command Path` of an ExternalScript; starts by
 * `Command Path` of an Application, by `Start-Process -FilePath`, by `Invoke-Item -Path` on a runnable file, or by
 * a command text that invokes a file.
 */
export function pipelineLaunches(eventId: number, fields: Record<string, string>): PipelineLaunch[] {
  const out: PipelineLaunch[] = [];
  const add = (path: string | undefined, kind: PipelineLaunch['kind']) => {
    if (path === undefined) return;
    const p = unquote(path);
    if (p === '' || out.some((x) => x.path.toLowerCase() === p.toLowerCase())) return;
    out.push({ path: p, kind: kind === 'start' && /\.ps1$/i.test(p) ? 'script' : kind });
  };
  if (eventId === 4103) {
    const ctx = fields.ContextInfo ?? '';
    const payload = fields.Payload ?? '';
    const type = field(ctx, 'Command Type')?.toLowerCase();
    const path = field(ctx, 'Command Path');
    if (type === 'externalscript') add(path, 'script');
    else if (type === 'application') add(path, 'start');
    add(field(ctx, 'Script Name'), 'script');
    add(binding(payload, 'Start-Process', ['FilePath']), 'start');
    const item = binding(payload, 'Invoke-Item', ['Path', 'LiteralPath']);
    if (item !== undefined && RUNNABLE.test(unquote(item))) add(item, 'start');
    return out;
  }
  const details = [fields['0'], fields['1'], fields['2'], fields.Message, fields.ContextInfo].filter((x) => x !== undefined).join('\n');
  add(field(details, 'ScriptName'), 'script');
  add(binding(details, 'Start-Process', ['FilePath']), 'start');
  const item = binding(details, 'Invoke-Item', ['Path', 'LiteralPath']);
  if (item !== undefined && RUNNABLE.test(unquote(item))) add(item, 'start');
  const cmd = field(details, 'CommandLine') ?? /Pipeline execution details for command line:\s*([^\r\n]*)/i.exec(details)?.[1]?.replace(/\.\s*$/, '');
  if (cmd !== undefined) add(invokedFile(cmd), 'start');
  return out;
}
