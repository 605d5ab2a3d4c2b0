// The sharing endpoints (issue 4): shares of one of my documents, and documents shared with me.
import { api } from './client'
import type { CreateShareRequest, Page, Share, SharedDocument } from './types'

const shares = (documentId: string) => `/api/documents/${encodeURIComponent(documentId)}/shares`

export const sharesApi = {
  async list(documentId: string): Promise<Share[]> {
    const body = await api.get<Share[] | Page<Share>>(shares(documentId))
    return Array.isArray(body) ? body : body.items
  },
  create: (documentId: string, body: CreateShareRequest) => api.post<Share>(shares(documentId), body),
  revoke: (documentId: string, shareId: string) =>
    api.delete(`${shares(documentId)}/${encodeURIComponent(shareId)}`),
  sharedWithMe: (cursor?: string | null) =>
    api.get<Page<SharedDocument>>('/api/shared-with-me', { limit: 50, cursor }),
}
