// Every `omamori` subcommand, in the order `omamori --help` lists them. Modules are loaded only when their first word
// is used, so `omamori protect` does not carry the console, the EVTX reader or the replay in memory. Add a command by
// adding its module here with the first words that select it.
import { readFileSync } from 'node:fs';
import type { Command, CommandSummary } from '../command.ts';

export interface CommandModule {
  /** First words of the command paths the module defines. */
  words: string[];
  load(): Promise<Command[]>;
}

export const commandModules: CommandModule[] = [
  { words: ['up'], load: async () => [(await import('./up.ts')).upCommand] },
  { words: ['policy', 'presets', 'decide'], load: async () => (await import('./policy.ts')).policyCommands },
  { words: ['protect', 'run', 'events'], load: async () => (await import('./agent.ts')).agentCommands },
  { words: ['console'], load: async () => (await import('./console.ts')).consoleCommands },
  { words: ['agent'], load: async () => (await import('./agent-sync.ts')).agentSyncCommands },
  { words: ['replay'], load: async () => (await import('./replay.ts')).replayCommands },
  { words: ['evtx'], load: async () => (await import('./evtx.ts')).evtxCommands },
  { words: ['windows'], load: async () => (await import('./windows.ts')).windowsCommands },
  { words: ['emocheck'], load: async () => (await import('./emocheck.ts')).emocheckCommands },
  { words: ['collect', 'isolate'], load: async () => (await import('./response.ts')).responseCommands },
];

/** The commands whose first word is `first` (none when no module has it), or every command when `first` is absent. */
export async function loadCommands(first?: string): Promise<Command[]> {
  const mods = first === undefined ? commandModules : commandModules.filter((m) => m.words.includes(first));
  return (await Promise.all(mods.map((m) => m.load()))).flat();
}

/**
 * Paths and summaries of every command, for the overview: the compiled program reads summaries.json, written beside
 * this module by the build (scripts/build.mjs) from the modules themselves; from the sources every module is loaded.
 */
export async function loadSummaries(): Promise<CommandSummary[]> {
  let text: string;
  try {
    text = readFileSync(new URL('./summaries.json', import.meta.url), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return await loadCommands();
  }
  return JSON.parse(text) as CommandSummary[];
}
