import { readFileSync } from 'node:fs';
import { compile, loadPolicy, findPreset } from '@omamori/policy';
import { replayPaths } from '@omamori/replay';
const pol = compile(loadPolicy(process.env.POLICY ? readFileSync(process.env.POLICY, 'utf8') : findPreset(process.env.PRESET ?? 'office')!.text).policy!);
const r = await replayPaths(process.argv.slice(2), { policy: pol });
for (const t of r.trees) for (const b of t.blocks) console.log(`${b.first ? '*' : ' '} ${b.where.replace(/^.*\//, '')} | ${b.kind} ${b.rule} | ${b.image.split('\\').pop()} | ${(b.object ?? '').slice(0, 100)} | ${b.lineage.map((l) => l.image.split('\\').pop()).join('>')} | ${(b.command ?? '').slice(0, 80)}`);
