// Admin endpoints: users, quotas and erasure (issues 3, 4, 7), projections (issue 7) and the
// system classifier (issue 6).
import { api } from './client'
import type {
  AdminUser,
  AdminUserQuery,
  EraseRequest,
  EraseResult,
  Page,
  ProjectionStatus,
  Quota,
  SetQuotaRequest,
  SystemClassifier,
  SystemClassifierRequest,
  UpdateUserRequest,
} from './types'

const user = (id: string) => `/api/admin/users/${encodeURIComponent(id)}`
const projection = (name: string) => `/api/admin/projections/${encodeURIComponent(name)}`

export const adminApi = {
  users: (query: AdminUserQuery, signal?: AbortSignal) =>
    api.get<Page<AdminUser>>('/api/admin/users', { ...query }, signal),
  updateUser: (id: string, body: UpdateUserRequest) => api.patch<AdminUser>(user(id), body),
  /** Answers the user's quota after the change (`{limit_bytes, used_bytes, reserved_bytes}`). */
  setQuota: (id: string, body: SetQuotaRequest) => api.put<Partial<Quota> | undefined>(`${user(id)}/quota`, body),
  async projections(): Promise<ProjectionStatus[]> {
    const body = await api.get<ProjectionStatus[] | { items: ProjectionStatus[] }>('/api/admin/projections')
    return Array.isArray(body) ? body : body.items
  },
  /** Answers the projection with its `rebuild` (requested, or already pending). */
  rebuild: (name: string) => api.post<ProjectionStatus>(`${projection(name)}/rebuild`, {}),
  /** Clears a halt (409 `not_halted` when it is not halted). */
  resume: (name: string) => api.post<ProjectionStatus>(`${projection(name)}/resume`, {}),
  /** Destroys the account's personal data (crypto-shredding) and purges its documents. */
  erase: (id: string, body: EraseRequest) => api.post<EraseResult>(`${user(id)}/erase`, body),
  classifier: () => api.get<SystemClassifier>('/api/admin/settings/classifier'),
  setClassifier: (body: SystemClassifierRequest) => api.put<SystemClassifier>('/api/admin/settings/classifier', body),
}
