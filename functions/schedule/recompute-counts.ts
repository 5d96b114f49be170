import type { Context } from 'aws-lambda';
import { parseRecomputeCountsEvent } from '../../shared/domain/count-refresh';
import { addLambdaContext } from '../../shared/observability/logger';
import { flushMetrics } from '../../shared/observability/metrics';
import { recomputeCounts } from '../../shared/services/counts';

/** Time kept back from the Lambda timeout: the chunk in flight finishes and the progress is saved. */
const STOP_MARGIN_MS = 20_000;

/** EventBridge schedule (every 20 minutes), or on demand with `{"full": true}`. */
export const handler = async (event: unknown, context: Context) => {
  addLambdaContext(context);
  const { full } = parseRecomputeCountsEvent(event);
  try {
    return await recomputeCounts({ full, deadline: Date.now() + context.getRemainingTimeInMillis() - STOP_MARGIN_MS });
  } finally {
    flushMetrics();
  }
};
