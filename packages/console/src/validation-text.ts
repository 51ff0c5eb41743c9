// A schema validation failure as one line for people, in their language: where (`body.hours`) and what is wrong.
// Japanese texts are written out per keyword, so no English fragment of the validator shows in a Japanese page.
import type { FastifyError } from 'fastify';

type Lang = 'ja' | 'en';

const TYPE_JA: Record<string, string> = {
  integer: '整数', number: '数値', string: '文字列', boolean: '真偽値 (true/false)', object: 'オブジェクト', array: '配列', null: 'null',
};

/** Japanese names of the validator's type words (`integer` → 整数), for messages that quote them. */
export function typeNameJa(t: string): string {
  return t.split(',').map((x) => TYPE_JA[x.trim()] ?? x.trim()).join(' または ');
}

function jaMessage(keyword: string | undefined, params: Record<string, unknown>, fallback: string): string {
  switch (keyword) {
    case 'type': return `${typeNameJa(String(params.type))}でなければなりません`;
    case 'minimum': return `${String(params.limit)} 以上でなければなりません`;
    case 'maximum': return `${String(params.limit)} 以下でなければなりません`;
    case 'exclusiveMinimum': return `${String(params.limit)} より大きくなければなりません`;
    case 'exclusiveMaximum': return `${String(params.limit)} より小さくなければなりません`;
    case 'minLength': return `${String(params.limit)} 文字以上でなければなりません`;
    case 'maxLength': return `${String(params.limit)} 文字以下でなければなりません`;
    case 'minItems': return `${String(params.limit)} 個以上でなければなりません`;
    case 'maxItems': return `${String(params.limit)} 個以下でなければなりません`;
    case 'minProperties': return `${String(params.limit)} 個以上の項目が必要です`;
    case 'pattern': return '形式が正しくありません';
    case 'format': return '形式が正しくありません';
    case 'const': case 'enum': return '許されていない値です';
    case 'anyOf': case 'oneOf': return '許されていない値です';
    default: return `値が正しくありません (${fallback})`;
  }
}

export function validationDetail(err: FastifyError, lang: Lang): { where: string; detail: string; field?: string } {
  const v = err.validation?.[0];
  const ctxName = err.validationContext ?? 'body';
  const path = v?.instancePath ?? '';
  const params = (v?.params ?? {}) as Record<string, unknown>;
  let field = path.replace(/^\//, '').replace(/\//g, '.');
  let detail = v?.message ?? err.message;
  if (v?.keyword === 'additionalProperties') {
    const extra = String(params.additionalProperty);
    field = field ? `${field}.${extra}` : extra;
    detail = lang === 'ja' ? `不明な項目 '${extra}' です` : `unknown field '${extra}'`;
  } else if (v?.keyword === 'required') {
    const missing = String(params.missingProperty);
    field = field ? `${field}.${missing}` : missing;
    detail = lang === 'ja' ? `必須の項目 '${missing}' がありません` : `missing required field '${missing}'`;
  } else if (lang === 'ja') {
    detail = jaMessage(v?.keyword, params, detail);
  }
  return { where: field ? `${ctxName}.${field}` : ctxName, detail, ...(field ? { field } : {}) };
}
