import type { SQSRecord } from 'aws-lambda';
import { failedRecordIds } from '../../infra/local/sqs-delivery';

const records = ['a', 'b', 'c'].map((messageId) => ({ messageId }) as SQSRecord);

describe('failedRecordIds (how AWS reads a ReportBatchItemFailures response)', () => {
  it('treats an empty response or an empty list as full success', () => {
    expect(failedRecordIds(records, undefined)).toEqual([]);
    expect(failedRecordIds(records, null)).toEqual([]);
    expect(failedRecordIds(records, {})).toEqual([]);
    expect(failedRecordIds(records, { batchItemFailures: [] })).toEqual([]);
  });

  it('retries only the listed records', () => {
    expect(failedRecordIds(records, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual(['b']);
  });

  it('fails the whole batch when an identifier is empty or unknown', () => {
    expect(failedRecordIds(records, { batchItemFailures: [{ itemIdentifier: '' }] })).toEqual(['a', 'b', 'c']);
    expect(failedRecordIds(records, { batchItemFailures: [{ itemIdentifier: 'zzz' }] })).toEqual(['a', 'b', 'c']);
  });
});
