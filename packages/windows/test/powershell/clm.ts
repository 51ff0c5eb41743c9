// What Windows PowerShell 5.1 refuses in Constrained Language Mode — the mode every PowerShell runs in once App
// Control enforces user-mode code integrity with script enforcement, for code the policy does not allow (interactive
// and -Command input always). Recorded from Microsoft's "about_Language_Modes" (PowerShell 5.1 reference,
// MicrosoftDocs/PowerShell-Docs reference/5.1/Microsoft.PowerShell.Core/About/about_Language_Modes.md, ms.date
// 06/07/2023: the allowed-types list, Add-Type, New-Object and COM rules) and "Script enforcement with App Control"
// (…/app-control-for-business/design/script-enforcement.md).
//
// Checked on the tree-sitter parse:
//  - every type literal (casts, [T]::Member, -is/-as, parameter types) names an allowed type;
//  - Add-Type is not used (it cannot compile C# or declare Win32 APIs in this mode);
//  - New-Object only on allowed types, New-Object -ComObject only on the three allowed COM classes;
//  - a method call on an object is one of the methods of allowed types the scripts use (strings, hashtables,
//    datetimes, regex) or ToString(). The receiver's type is not known statically: a method of a forbidden type
//    that shares its name with one of these would pass (documented approximation).
// Code inside `if ($script:fullLanguage …) { … }` is exempt: scripts test the language mode before using .NET.
import { descendants, type PsNode } from './grammar.ts';

/** about_Language_Modes (5.1), "Allowed Types", lower-cased, plus the System.* names they stand for. */
const ALLOWED_TYPES = new Set([
  'adsi', 'adsisearcher', 'alias', 'allowemptycollection', 'allowemptystring', 'allownull', 'argumentcompleter',
  'argumentcompletions', 'array', 'bigint', 'bool', 'byte', 'char', 'cimclass', 'cimconverter', 'ciminstance', 'cimsession',
  'cimtype', 'cmdletbinding', 'cultureinfo', 'datetime', 'decimal', 'double', 'dsclocalconfigurationmanager', 'dscproperty',
  'dscresource', 'experimentaction', 'experimental', 'experimentalfeature', 'float', 'guid', 'hashtable', 'int', 'int16',
  'int32', 'int64', 'ipaddress', 'ipendpoint', 'long', 'mailaddress', 'microsoft.powershell.commands.modulespecification',
  'nullstring', 'object[]', 'objectsecurity', 'ordered', 'outputtype', 'parameter', 'physicaladdress', 'pscredential',
  'pscustomobject', 'psdefaultvalue', 'pslistmodifier', 'psobject', 'psprimitivedictionary', 'pstypenameattribute', 'ref',
  'regex', 'sbyte', 'securestring', 'semver', 'short', 'single', 'string', 'supportswildcards', 'switch', 'timespan', 'uint',
  'uint16', 'uint32', 'uint64', 'ulong', 'uri', 'ushort', 'validatecount', 'validatedrive', 'validatelength', 'validatenotnull',
  'validatenotnullorempty', 'validatepattern', 'validaterange', 'validatescript', 'validateset', 'validatetrusteddata',
  'validateuserdrive', 'version', 'void', 'wildcardpattern', 'wmi', 'wmiclass', 'wmisearcher', 'x500distinguishedname',
  'x509certificate', 'xml',
  // the same types by their .NET names
  'boolean', 'int32', 'int64', 'string', 'object', 'globalization.cultureinfo', 'collections.hashtable',
  'collections.specialized.ordereddictionary', 'text.regularexpressions.regex', 'management.automation.pscustomobject',
  'management.automation.psobject', 'management.automation.switchparameter',
]);
const ALLOWED_COM = new Set(['scripting.dictionary', 'scripting.filesystemobject', 'vbscript.regexp']);

/** Methods of allowed types (string, hashtable, datetime, timespan, regex match results read as properties). */
const ALLOWED_METHODS = new Set([
  'tostring', 'substring', 'indexof', 'lastindexof', 'tolower', 'toupper', 'tolowerinvariant', 'toupperinvariant', 'trim',
  'trimend', 'trimstart', 'replace', 'split', 'startswith', 'endswith', 'contains', 'padleft', 'padright', 'equals',
  'tochararray', 'containskey', 'containsvalue', 'add', 'remove', 'tofiletimeutc', 'tofiletime', 'adddays', 'addseconds',
  'touniversaltime', 'matches', 'match', 'ismatch', 'escape', 'gettype', 'compareto',
]);

export interface ClmProblem { line: number; what: string }

function typeName(t: PsNode): string {
  const spec = t.namedChildren.find((c) => c.type === 'type_spec') ?? t;
  const array = spec.namedChildren.some((c) => c.type === 'array_type_name');
  const name = (array ? spec.namedChildren[0]!.namedChildren[0]! : spec).text.replace(/\s/g, '').toLowerCase().replace(/^system\./, '');
  return array && name === 'object' ? 'object[]' : name;
}

function guarded(n: PsNode): boolean {
  for (let p: PsNode | null = n.parent; p; p = p.parent) {
    if (p.type === 'statement_block' && p.parent?.type === 'if_statement' && p.parent.namedChildren[1]?.id === p.id) {
      const cond = p.parent.namedChildren[0]!.text.trim();
      if (/^\$(script:)?fullLanguage\b/i.test(cond)) return true;
    }
  }
  return false;
}

export function constrainedLanguageProblems(root: PsNode): ClmProblem[] {
  const out: ClmProblem[] = [];
  const add = (n: PsNode, what: string) => { if (!guarded(n)) out.push({ line: n.startPosition.row + 1, what }); };
  for (const t of descendants(root, 'type_literal')) {
    const name = typeName(t);
    if (!ALLOWED_TYPES.has(name)) add(t, `type [${name}] is not allowed`);
  }
  for (const c of descendants(root, 'command')) {
    const name = c.namedChildren[0]?.text.toLowerCase();
    const args = c.namedChildren.find((x) => x.type === 'command_elements')?.namedChildren.filter((x) => x.type !== 'command_argument_sep') ?? [];
    if (name === 'add-type') add(c, 'Add-Type cannot compile code or declare Win32 APIs');
    if (name === 'new-object') {
      const i = args.findIndex((a) => /^-comobject$/i.test(a.text));
      if (i >= 0) { const com = args[i + 1]?.text.replace(/['"]/g, '').toLowerCase() ?? ''; if (!ALLOWED_COM.has(com)) add(c, `New-Object -ComObject ${com}`); }
      else {
        const ti = args.findIndex((a) => /^-typename$/i.test(a.text));
        const type = (ti >= 0 ? args[ti + 1] : args.find((a) => a.type !== 'command_parameter'))?.text.replace(/['"]/g, '').toLowerCase().replace(/^system\./, '') ?? '';
        if (!ALLOWED_TYPES.has(type)) add(c, `New-Object ${type}`);
      }
    }
  }
  for (const m of descendants(root, 'invokation_expression')) {
    const target = m.namedChildren[0]!;
    const method = m.namedChildren.find((c) => c.type === 'member_name')?.text ?? '';
    if (target.type === 'type_literal') continue;   // static call: judged by the type literal above
    if (!ALLOWED_METHODS.has(method.toLowerCase())) add(m, `method ${method}() on an object of unknown type`);
  }
  return out.sort((a, b) => a.line - b.line);
}
