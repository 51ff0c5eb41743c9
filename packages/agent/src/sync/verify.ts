// Checks a signature by the console's policy key (pinned at enrollment): policies, tasks, cancellations and
// certificate announcements all use it.
import { createPublicKey, verify } from 'node:crypto';

export function verifyWithConsoleKey(consoleKey: string, payload: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(consoleKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(payload), key, Buffer.from(signature, 'base64'));
  } catch { return false; }
}
