import { encodeRecord } from '../../shared/domain/transport';

/** What SQS accepts in a message body (its documented XML character range). */
const SQS_CARRIES = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

describe('encodeRecord (a record as an SQS message body)', () => {
  const record = {
    type: 'message.created',
    content: 'U+FFFE \uFFFE U+FFFF \uFFFF C0 \u0000\u0001\u001F DEL \u007F C1 \u0085 emoji 😀 Arabic مرحبا quote " backslash \\',
  };

  it('writes only characters SQS carries', () => {
    expect(encodeRecord(record)).toMatch(SQS_CARRIES);
    expect(JSON.stringify(record)).not.toMatch(SQS_CARRIES);
  });

  it('is the same JSON: parsing gives back the same record', () => {
    expect(JSON.parse(encodeRecord(record))).toEqual(record);
  });

  it('leaves text SQS carries as it is (no growth for ordinary content)', () => {
    const plain = { content: 'hello 😀 مرحبا \u00e9 \uFFFD' };
    expect(encodeRecord(plain)).toBe(JSON.stringify(plain));
  });
});
