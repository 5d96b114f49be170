import { ServiceUnavailable } from '../../shared/domain/errors';
import { writeIsolating } from '../../shared/services/persistence';

describe('writeIsolating', () => {
  it('writes the whole batch with one statement when it succeeds', async () => {
    const write = jest.fn(async () => undefined);

    expect(await writeIsolating([1, 2, 3, 4], write)).toEqual([]);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('splits a failing batch until only the bad rows fail', async () => {
    const written: number[] = [];
    const write = async (rows: number[]) => {
      if (rows.includes(3) || rows.includes(6)) throw new Error('bad row');
      written.push(...rows);
    };

    const failed = await writeIsolating([1, 2, 3, 4, 5, 6, 7, 8], write);

    expect(failed.map((f) => f.item)).toEqual([3, 6]);
    expect(written.sort()).toEqual([1, 2, 4, 5, 7, 8]);
  });

  it('throws an outage at once, for the whole batch to fail (no splitting against a dead database)', async () => {
    const write = jest.fn(async () => {
      throw new ServiceUnavailable('database');
    });

    await expect(writeIsolating([1, 2, 3, 4], write)).rejects.toThrow(ServiceUnavailable);
    expect(write).toHaveBeenCalledTimes(1);
  });
});
