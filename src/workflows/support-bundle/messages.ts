// What a support bundle's workflow answers and takes: its record, the customer's decision, a delete.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ReleaseSignature } from '../../domain/schemas/release';
import type { SupportBundleRecord } from '../../domain/support-bundle/bundle';

export interface BundleDecision {
  approve: boolean;
  /** the cell's customer */
  by: string;
  reason?: string;
  /** the customer's signature over this request's approval, for a cell that pins its customer's key */
  signature?: ReleaseSignature;
}

export const supportBundleQuery = defineQuery<SupportBundleRecord>('supportBundle');
export const decideSupportBundle = defineUpdate<SupportBundleRecord, [BundleDecision]>('decideSupportBundle');
export const deleteSupportBundle = defineUpdate<SupportBundleRecord, [{ by: string }]>('deleteSupportBundle');
