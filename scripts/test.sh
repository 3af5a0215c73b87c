#!/usr/bin/env bash
# `npm test`: every tool the tests need, then the type check and lint, then every test on a real Temporal.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/runtime-check.mjs
# Find or build the Temporal CLI, the time-skipping test server, moto, schemathesis, the Kubernetes test bed's
# binaries, PostgreSQL and Temporal's own server for it first, so their one-time builds and installs are not charged to a test's timeout.
node --import tsx -e "import('./scripts/lib/temporal-cli.ts').then((m) => console.error('temporal CLI: ' + m.findTemporalCli()))"
node --import tsx -e "import('./scripts/lib/time-skipping-server.ts').then((m) => console.error('time-skipping server: ' + m.ensureTimeSkippingServer()))"
node --import tsx -e "import('./scripts/lib/moto.ts').then((m) => console.error('moto: ' + m.ensureMoto()))"
node --import tsx -e "import('./scripts/lib/schemathesis.ts').then((m) => console.error('schemathesis: ' + m.ensureSchemathesis()))"
node --import tsx -e "import('./scripts/lib/kube-binaries.ts').then((m) => console.error('kube test bed: ' + m.ensureKubeBinaries().kwokctl))"
node --import tsx -e "import('./scripts/lib/postgres.ts').then((m) => console.error('PostgreSQL: ' + m.ensurePostgres()))"
node --import tsx -e "import('./scripts/lib/temporal-server.ts').then((m) => console.error('Temporal server on PostgreSQL: ' + m.ensureTemporalServer().server))"
npx tsc --noEmit -p .
npx eslint .
npx vitest run "$@"
