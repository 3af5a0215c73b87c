import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Search attributes that make cells and updates filterable in the Web UI and the API.
// Registered on the server by `ensureSearchAttributes` (worker start) or the dev server's flags.
export const CellIdKey = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
export const RingKey = defineSearchAttributeKey('Ring', SearchAttributeType.KEYWORD);
export const AppVersionKey = defineSearchAttributeKey('AppVersion', SearchAttributeType.KEYWORD);
export const CellStatusKey = defineSearchAttributeKey('CellStatus', SearchAttributeType.KEYWORD);
export const UpdateStatusKey = defineSearchAttributeKey('UpdateStatus', SearchAttributeType.KEYWORD);
export const SlaStatusKey = defineSearchAttributeKey('SlaStatus', SearchAttributeType.KEYWORD);

export const DebugAccessStatusKey = defineSearchAttributeKey('DebugAccessStatus', SearchAttributeType.KEYWORD);

/** Every search attribute cellshift sets, with what carries it: docs/search-attributes.md is generated from this list. */
export const SEARCH_ATTRIBUTES = [
  { key: CellIdKey, on: 'cell controllers, debug grants', holds: 'the cell id' },
  { key: RingKey, on: 'cell controllers', holds: 'the cell’s ring: staging, saas, dedicated' },
  { key: AppVersionKey, on: 'cell controllers, release vetoes', holds: 'the release the cell runs (`none` before its first install); the vetoed release' },
  { key: CellStatusKey, on: 'cell controllers', holds: 'the cell’s state: ready, updating, drifted, removed, …' },
  { key: UpdateStatusKey, on: 'updates', holds: 'the update’s status: scheduled, running, needs-attention, succeeded, …' },
  { key: SlaStatusKey, on: 'cell controllers', holds: 'the worst SLA status of its infrastructure updates: in-sla, at-risk, out-of-sla' },
  { key: DebugAccessStatusKey, on: 'debug grants', holds: 'waiting-decision, granting, active, revoking, ended' },
] as const;
