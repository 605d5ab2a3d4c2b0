// The folder endpoints (issue 4). `GET /api/folders` returns the caller's whole tree as a flat
// list of folders with their parent ids.
import { api } from './client'
import type { CreateFolderRequest, Folder, UpdateFolderRequest } from './types'

const folder = (id: string) => `/api/folders/${encodeURIComponent(id)}`

export const foldersApi = {
  async list(): Promise<Folder[]> {
    // Accept a bare array or an `{items}` envelope: the contract names the route, not the wrapper.
    const body = await api.get<Folder[] | { items: Folder[] }>('/api/folders')
    return Array.isArray(body) ? body : body.items
  },
  create: (body: CreateFolderRequest) => api.post<Folder>('/api/folders', body),
  update: (id: string, body: UpdateFolderRequest) => api.patch<Folder>(folder(id), body),
  remove: (id: string, recursive = false) =>
    api.delete(folder(id), recursive ? { recursive: true } : undefined),
}
