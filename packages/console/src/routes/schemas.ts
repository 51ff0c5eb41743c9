// Shared pieces of route schemas.
import { Type, type TProperties } from '@sinclair/typebox';

/** A strict query-string schema that also accepts `lang` (ja|en) for messages. */
export function query<P extends TProperties>(props: P) {
  return Type.Object({ ...props, lang: Type.Optional(Type.Union([Type.Literal('ja'), Type.Literal('en')])) }, { additionalProperties: false });
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
