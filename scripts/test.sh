#!/usr/bin/env bash
# `npm test`: every tool the tests need, then the type check, then every test on a real Temporal.
set -euo pipefail
cd "$(dirname "$0")/.."
# Find or build the Temporal CLI first, so its one-time build is not charged to a test's timeout.
node --import tsx -e "import('./scripts/lib/temporal-cli.ts').then((m) => console.error('temporal CLI: ' + m.findTemporalCli()))"
npx tsc --noEmit -p .
npx vitest run "$@"
