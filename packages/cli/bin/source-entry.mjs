// The `omamori` command from its TypeScript sources (export condition `source`: tests and development). tsx is a
// development dependency: the built and installed program never loads this file.
import { register } from 'tsx/esm/api';

register();
export const { main } = await import('../src/main.ts');
