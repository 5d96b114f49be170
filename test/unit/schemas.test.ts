import { AppBody, MessageBody } from '../../shared/domain/schemas';

describe('well-formed Unicode in names and content', () => {
  it.each(['lone \ud800 high', 'lone \udc00 low', '\ude00\ud83d reversed', 'end \ud83d'])('rejects %j', (text) => {
    expect(MessageBody.safeParse({ content: text }).success).toBe(false);
    expect(AppBody.safeParse({ name: text }).success).toBe(false);
  });

  it('accepts pairs, noncharacters and controls: every well-formed text', () => {
    for (const text of ['😀 pair', 'U+FFFF \uffff', 'U+FFFE \ufffe', 'ctl \u0001']) {
      expect(MessageBody.safeParse({ content: text }).success).toBe(true);
      expect(AppBody.safeParse({ name: text }).success).toBe(true);
    }
  });
});
