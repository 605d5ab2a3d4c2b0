// The document endpoints (issue 4): listing, presigned upload, changes, trash and download.
import { api } from './client'
import type {
  DocumentDto,
  DocumentQuery,
  Page,
  UpdateDocumentRequest,
  UploadUrlRequest,
  UploadUrlResponse,
} from './types'

const doc = (id: string) => `/api/documents/${encodeURIComponent(id)}`

export const documentsApi = {
  list: (query: DocumentQuery, signal?: AbortSignal) =>
    api.get<Page<DocumentDto>>('/api/documents', { ...query }, signal),
  get: (id: string) => api.get<DocumentDto>(doc(id)),
  uploadUrl: (body: UploadUrlRequest) => api.post<UploadUrlResponse>('/api/documents/upload-url', body),
  confirm: (id: string) => api.post<DocumentDto>(`${doc(id)}/confirm`, {}),
  update: (id: string, body: UpdateDocumentRequest) => api.patch<DocumentDto>(doc(id), body),
  trash: (id: string) => api.delete(doc(id)),
  restore: (id: string) => api.post<DocumentDto | undefined>(`${doc(id)}/restore`, {}),
  listTrash: (cursor?: string | null) =>
    api.get<Page<DocumentDto>>('/api/trash', { limit: 50, cursor }),
  purge: (id: string) => api.delete(`/api/trash/${encodeURIComponent(id)}`),
  download: (id: string) => api.download(`${doc(id)}/download`),
}
