#!/usr/bin/env bash
# AWS deployment checks: cfn-lint on cloud/template.yaml (plain CloudFormation, no SAM
# transform, so no translator step), including the informational rules, plus two
# least-privilege guards cfn-lint does not know about.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

template=cloud/template.yaml
log "cfn-lint $template"
cfn-lint --include-checks I -- "$template"

# The Lambda's role must never fall back to managed catch-all policies or wildcard actions.
if grep -nE 'FullAccess|Action: *"?(iot|dynamodb):\*|- *"?(iot|dynamodb):\*' "$template"; then
  log "$template: wildcard or *FullAccess permission found (least privilege required)"
  exit 1
fi
# Every API method must sit behind the Cognito authorizer.
methods=$(grep -c 'Type: AWS::ApiGateway::Method' "$template")
guarded=$(grep -c 'AuthorizationType: COGNITO_USER_POOLS' "$template")
if [ "$methods" -ne "$guarded" ]; then
  log "$template: $methods API methods but only $guarded use the Cognito authorizer"
  exit 1
fi
log "cloud/template.yaml: cfn-lint clean, $methods methods all behind Cognito"
