/**
 * SQS carries only the XML character range #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD |
 * #x10000–#x10FFFF and rejects a message with anything else (InvalidMessageContents). Every
 * well-formed Unicode text is valid content, U+FFFE and U+FFFF included, so a record's JSON escapes
 * what SQS cannot carry as `\uXXXX`: still the same JSON, and JSON.parse gives back the same text.
 * JSON.stringify already escapes C0 controls and lone surrogates; this covers the rest.
 */
const NOT_CARRIED_BY_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const escapeUnit = (character: string) =>
  [...Array(character.length).keys()].map((i) => `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** The body of a queue message: the record's JSON, with only characters SQS can carry. */
export function encodeRecord(record: object): string {
  // Outside string literals, JSON is ASCII: every match is inside a string, where \uXXXX is valid.
  return JSON.stringify(record).replace(NOT_CARRIED_BY_SQS, escapeUnit);
}
