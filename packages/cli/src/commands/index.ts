// Every `omamori` subcommand, in the order `omamori --help` lists them. Add a command by importing its module here.
import type { Command } from '../command.ts';
import { agentCommands } from './agent.ts';
import { agentSyncCommands } from './agent-sync.ts';
import { consoleCommands } from './console.ts';
import { emocheckCommands } from './emocheck.ts';
import { evtxCommands } from './evtx.ts';
import { policyCommands } from './policy.ts';
import { replayCommands } from './replay.ts';
import { responseCommands } from './response.ts';
import { upCommand } from './up.ts';
import { windowsCommands } from './windows.ts';

export const allCommands: Command[] = [
  upCommand,
  ...policyCommands,
  ...agentCommands,
  ...consoleCommands,
  ...agentSyncCommands,
  ...replayCommands,
  ...evtxCommands,
  ...windowsCommands,
  ...emocheckCommands,
  ...responseCommands,
];
