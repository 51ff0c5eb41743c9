// A real PowerShell grammar for the tests: tree-sitter with the tree-sitter-powershell grammar (npm, devDependencies).
// parsePowerShell(text) gives the syntax tree and every ERROR or MISSING node with its line and column, so a test can
// say "this generated script is valid PowerShell" without a PowerShell on this machine.
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell/bindings/node/index.js';

export type PsNode = Parser.SyntaxNode;

export interface SyntaxProblem { kind: 'ERROR' | 'MISSING'; line: number; column: number; text: string }

let parser: Parser | undefined;

function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(PowerShell as unknown as Parser.Language);
  }
  return parser;
}

export function parsePowerShell(text: string): { root: PsNode; problems: SyntaxProblem[] } {
  // tree-sitter's Node binding reads the input in chunks; a callback avoids its 32 KiB string limit.
  const tree = getParser().parse((index: number) => text.slice(index, index + 16384));
  const problems: SyntaxProblem[] = [];
  const walk = (n: PsNode): void => {
    if (n.type === 'ERROR' || n.isMissing) {
      problems.push({ kind: n.isMissing ? 'MISSING' : 'ERROR', line: n.startPosition.row + 1, column: n.startPosition.column + 1, text: n.text.slice(0, 80) });
      if (n.isMissing) return;
    }
    for (const c of n.children) walk(c);
  };
  walk(tree.rootNode);
  return { root: tree.rootNode, problems };
}

/** A readable list of the problems, for assertion messages. */
export function describeProblems(problems: SyntaxProblem[]): string {
  return problems.slice(0, 10).map((p) => `${p.line}:${p.column} ${p.kind} ${JSON.stringify(p.text)}`).join('\n');
}

/** Every descendant of `n` (depth first, `n` included) of one of the node types. */
export function descendants(n: PsNode, ...types: string[]): PsNode[] {
  const out: PsNode[] = [];
  const walk = (x: PsNode): void => {
    if (types.includes(x.type)) out.push(x);
    for (const c of x.namedChildren) walk(c);
  };
  walk(n);
  return out;
}

/** Skips wrapper nodes that span exactly one named child (the grammar nests ten levels for a plain variable). */
export function unwrap(n: PsNode): PsNode {
  let c = n;
  while (c.namedChildCount === 1 && c.namedChildren[0]!.startIndex === c.startIndex && c.namedChildren[0]!.endIndex === c.endIndex) c = c.namedChildren[0]!;
  return c;
}
