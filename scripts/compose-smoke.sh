#!/usr/bin/env bash
# Smoke test of a running compose stack (`docker compose up -d`), through the proxy: create a profile, earn a
# certification, read the dashboard. Tokens are signed inside the api container with the stack's own secret.
# Usage: scripts/compose-smoke.sh [base-url]   (default http://localhost:${RECERT_PORT:-3000})
set -euo pipefail
BASE="${1:-http://localhost:${RECERT_PORT:-3000}}"
PROFILE="smoke-$(date +%s)-$$"

token() {
  docker compose exec -T api node -e \
    "process.stdout.write(require('./dist/libs/kernel/src/http/development-token.js').signDevelopmentToken({ sub: 'smoke', roles: ['$1'] }, process.env.AUTH_JWT_SECRET, { expiresInSeconds: 600 }))"
}

# The stack is up when the proxy reaches a ready api.
for _ in $(seq 1 90); do
  if curl -sf "$BASE/health/ready" > /dev/null; then break; fi
  sleep 2
done
curl -sf "$BASE/health/ready" > /dev/null

EXAM="$(token exam-system)"
ADMIN="$(token admin)"

echo "POST $BASE/certification-profiles"
curl -sf -X POST "$BASE/certification-profiles" -H "Authorization: Bearer $EXAM" -H 'Content-Type: application/json' \
  -d "{\"profileId\":\"$PROFILE\",\"accountId\":\"acc-$PROFILE\",\"accountType\":\"personal\",\"displayName\":\"Smoke\",\"email\":\"smoke@example.com\"}"
echo
echo "POST $BASE/certification-profiles/$PROFILE/certifications"
EARNED="$(curl -sf -X POST "$BASE/certification-profiles/$PROFILE/certifications" -H "Authorization: Bearer $EXAM" \
  -H 'Content-Type: application/json' -d '{"certificationCode":"azure-fundamentals"}')"
echo "$EARNED"
POSITION="$(printf '%s' "$EARNED" | node -e "let s='';process.stdin.on('data',(c)=>s+=c).on('end',()=>process.stdout.write(String(JSON.parse(s).position)))")"
echo "GET $BASE/certification-profiles/$PROFILE/dashboard"
DASHBOARD="$(curl -sf "$BASE/certification-profiles/$PROFILE/dashboard?consistentWith=$POSITION" -H "Authorization: Bearer $ADMIN")"
echo "$DASHBOARD"
printf '%s' "$DASHBOARD" | grep -q '"code":"azure-fundamentals"'
echo "compose smoke test passed"
