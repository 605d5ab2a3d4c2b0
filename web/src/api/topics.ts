// Topics, a document's classification and full-text search (issue 6).
import { api } from './client'
import type {
  CreateTopicRequest,
  DocumentTopics,
  Page,
  SearchHit,
  SearchQuery,
  SetTopicsRequest,
  Topic,
  UpdateTopicRequest,
} from './types'

const topic = (id: string) => `/api/topics/${encodeURIComponent(id)}`
const docTopics = (id: string) => `/api/documents/${encodeURIComponent(id)}/topics`

export const topicsApi = {
  /** The caller's own topics and the system ones (shadowed system topics left out). */
  list: () => api.get<Page<Topic>>('/api/topics'),
  create: (body: CreateTopicRequest) => api.post<Topic>('/api/topics', body),
  update: (id: string, body: UpdateTopicRequest) => api.patch<Topic>(topic(id), body),
  remove: (id: string) => api.delete(topic(id)),
  ofDocument: (id: string) => api.get<DocumentTopics>(docTopics(id)),
  setForDocument: (id: string, body: SetTopicsRequest) => api.put<DocumentTopics>(docTopics(id), body),
  reclassify: (id: string) =>
    api.post<DocumentTopics>(`/api/documents/${encodeURIComponent(id)}/reclassify`, {}),
  search: (query: SearchQuery, signal?: AbortSignal) =>
    api.get<Page<SearchHit>>('/api/search', { ...query }, signal),
}
