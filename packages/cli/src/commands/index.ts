// Every `omamori` subcommand, in the order `omamori --help` lists them. Add a command by importing its module here.
import type { Command } from '../command.ts';
import { agentCommands } from './agent.ts';
import { emocheckCommands } from './emocheck.ts';
import { evtxCommands } from './evtx.ts';
import { policyCommands } from './policy.ts';
import { replayCommands } from './replay.ts';
import { windowsCommands } from './windows.ts';

export const allCommands: Command[] = [
  ...agentCommands,
  ...emocheckCommands,
  ...evtxCommands,
  ...policyCommands,
  ...replayCommands,
  ...windowsCommands,
];
