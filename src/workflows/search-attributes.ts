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

export const SEARCH_ATTRIBUTES = [CellIdKey, RingKey, AppVersionKey, CellStatusKey, UpdateStatusKey, SlaStatusKey, DebugAccessStatusKey];
