// JSON Schema (draft 2020-12 subset used by ajv) of the policy document, version `omamori: 1`.
// Structure only; meaning (duplicate ids, known sets, pattern syntax, dates) is checked in validate.ts.

const str = { type: 'string', minLength: 1 } as const;
const strList = { type: 'array', items: str } as const;
const sha256 = { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } as const;

export const policySchema = {
  $id: 'https://omamori.invalid/policy-1.json',
  type: 'object',
  additionalProperties: false,
  required: ['omamori', 'name', 'version', 'mode'],
  properties: {
    omamori: { const: 1 },
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    version: { type: 'integer', minimum: 1 },
    description: { type: 'string' },
    mode: { enum: ['audit', 'enforce', 'lockdown'] },
    failMode: { enum: ['open', 'closed'] },
    decisionTimeoutMs: { type: 'integer', minimum: 10, maximum: 10000 },
    userSpace: {
      type: 'object', additionalProperties: false,
      properties: { probe: { type: 'boolean' }, paths: strList, systemFolders: strList },
    },
    trust: {
      type: 'object', additionalProperties: false,
      properties: {
        packageManager: { type: 'boolean' },
        hashes: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['sha256'],
            properties: { sha256, note: { type: 'string' } },
          },
        },
        paths: strList,
        publishers: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['signer'],
            properties: { signer: str, launch: { enum: ['normal', 'guarded'] }, note: { type: 'string' } },
          },
        },
        exceptions: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['id', 'expires'],
            properties: {
              id: str, path: str, sha256, expires: str, host: str, note: { type: 'string' },
            },
          },
        },
      },
    },
    guarded: {
      type: 'object', additionalProperties: false,
      properties: {
        applications: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['id', 'kind'],
            properties: {
              id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
              kind: { enum: ['mail', 'browser', 'office', 'pdf', 'archiver', 'script-host', 'network-service', 'other'] },
              names: strList, paths: strList, sha256: { type: 'array', items: sha256 }, profiles: strList,
            },
          },
        },
        deniedChildren: strList,
        allowedChildren: strList,
        writeProtect: strList,
        writable: strList,
        readProtect: strList,
        processProtection: { type: 'boolean' },
      },
    },
    persistence: {
      type: 'object', additionalProperties: false,
      properties: { denyUserSpaceCode: { type: 'boolean' }, denySystemHooks: { type: 'boolean' }, trustedInstallers: strList },
    },
  },
} as const;
