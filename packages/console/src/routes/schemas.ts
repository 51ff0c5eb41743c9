// Shared pieces of route schemas and queries.
import { Type, type TProperties } from '@sinclair/typebox';

/** A strict query-string schema that also accepts `lang` (ja|en) for messages. */
export function query<P extends TProperties>(props: P) {
  return Type.Object({ ...props, lang: Type.Optional(Type.Union([Type.Literal('ja'), Type.Literal('en')])) }, { additionalProperties: false });
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/**
 * A LIKE pattern for "contains", case-insensitive (compare with lower(column)): the search text's own % and _ are
 * dropped rather than escaped, so the pattern means the same in SQLite and PostgreSQL.
 */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[%_\\]/g, '')}%`;
}
