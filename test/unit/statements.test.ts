import { chatStatements } from '../../shared/adapters/stores/chats';
import { messageStatements } from '../../shared/adapters/stores/messages';

describe('the list queries', () => {
  // A UNION ALL's rows come in no defined order; only an ORDER BY on the whole union fixes the page order.
  it.each([
    ['chats', chatStatements.SELECT_PAGE],
    ['messages', messageStatements.SELECT_PAGE],
  ])('the %s page orders the whole UNION ALL, by number after the parent row', (_name, sql) => {
    const outer = sql.slice(sql.lastIndexOf(')') + 1);
    expect(outer).toMatch(/^\s*ORDER BY kind = '\w+', number\s*$/);
  });
});
