// Admin endpoints: users and quotas (issues 3, 4) and projections (issue 7).
import { api } from './client'
import type {
  AdminUser,
  AdminUserQuery,
  Page,
  ProjectionStatus,
  Quota,
  SetQuotaRequest,
  UpdateUserRequest,
} from './types'

const user = (id: string) => `/api/admin/users/${encodeURIComponent(id)}`

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
  rebuild: (name: string) =>
    api.post<unknown>(`/api/admin/projections/${encodeURIComponent(name)}/rebuild`, {}),
}
