// The audit endpoints (issue 7), for auditors and admins: the event table, its export and the
// point-in-time ("as of") view of a document or a user.
import { api, queryString } from './client'
import type { AsOfAnswer, AsOfQuery, AuditEntry, AuditExportFormat, AuditFilter, AuditQuery, Page } from './types'

export const auditApi = {
  events: (query: AuditQuery, signal?: AbortSignal) =>
    api.get<Page<AuditEntry>>('/api/audit/events', { ...query }, signal),
  /** The whole filtered log as a file (JSON Lines ends with a manifest line). */
  export: (filter: AuditFilter, format: AuditExportFormat) =>
    api.download(`/api/audit/export${queryString({ ...filter, format })}`),
  asOf: (query: AsOfQuery) => api.get<AsOfAnswer>('/api/audit/as-of', { ...query }),
}
