// The caller's storage quota (issue 4).
import { api } from './client'
import type { Quota } from './types'

export const quotaApi = {
  get: () => api.get<Quota>('/api/quota'),
}
