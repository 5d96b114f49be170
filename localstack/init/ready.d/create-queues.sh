#!/bin/bash
# LocalStack runs this once SQS is ready (/etc/localstack/init/ready.d). It creates, for every queue
# in infra/queues.json (mounted read-only at /etc/chat-system/queues.json), the queue and its
# dead-letter queue with the same names and redrive settings as CloudFormation (infra/resources.js):
#   chat-system-<stage>-<key>       VisibilityTimeout, MessageRetentionPeriod, RedrivePolicy(maxReceiveCount)
#   chat-system-<stage>-<key>-dlq   MessageRetentionPeriod 14 days
# for STAGE (default "local") and each stage in EXTRA_STAGES (space- or comma-separated).
# Idempotent: CreateQueue with the same attributes returns the existing queue.
set -euo pipefail

QUEUES_JSON="${QUEUES_JSON:-/etc/chat-system/queues.json}"
SERVICE=chat-system
stages="${STAGE:-local} ${EXTRA_STAGES:-}"

# One line per queue: key visibilityTimeout maxReceiveCount messageRetentionPeriod
queue_lines() {
  python3 - "$QUEUES_JSON" <<'PY'
import json, sys
with open(sys.argv[1]) as handle:
    queues = json.load(handle)["queues"]
for key, queue in queues.items():
    print(key, queue["visibilityTimeout"], queue["maxReceiveCount"], queue["messageRetentionPeriod"])
PY
}

for stage in ${stages//,/ }; do
  while read -r key visibility max_receive retention; do
    name="${SERVICE}-${stage}-${key}"
    dlq_url=$(awslocal sqs create-queue --queue-name "${name}-dlq" \
      --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
    dlq_arn=$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" \
      --attribute-names QueueArn --query Attributes.QueueArn --output text)
    redrive="{\"deadLetterTargetArn\":\"${dlq_arn}\",\"maxReceiveCount\":\"${max_receive}\"}"
    attributes=$(python3 -c 'import json, sys; print(json.dumps({
        "VisibilityTimeout": sys.argv[1], "MessageRetentionPeriod": sys.argv[2], "RedrivePolicy": sys.argv[3]}))' \
      "$visibility" "$retention" "$redrive")
    awslocal sqs create-queue --queue-name "$name" --attributes "$attributes" >/dev/null
    echo "created ${name} (+ ${name}-dlq, maxReceiveCount ${max_receive}, VisibilityTimeout ${visibility}s)"
  done < <(queue_lines)
done
