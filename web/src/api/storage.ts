// The caller's cloud storage backends (`/api/storage-backends`). Passwords are write-only: they
// go out in `connect` and never come back.
import { api } from './client'
import type { StorageBackend, StorageBackendList } from './types'

export interface ConnectWebDav {
  kind: 'webdav' | 'nextcloud'
  display_name: string
  url: string
  username: string
  password: string
}

export const storageApi = {
  list: () => api.get<StorageBackendList>('/api/storage-backends'),
  connect: (body: ConnectWebDav) => api.post<StorageBackend>('/api/storage-backends', body),
  update: (id: string, body: { display_name?: string; is_default?: boolean }) =>
    api.patch<StorageBackend>(`/api/storage-backends/${id}`, body),
  disconnect: (id: string) => api.delete(`/api/storage-backends/${id}`),
}
