// The upload queue: each file goes through the presigned flow (upload-url → PUT with progress →
// confirm), a few at a time, with per-file and overall progress, cancel, retry and clear errors.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { documentsApi } from '@/api/documents'
import { ApiError, messageOf } from '@/api/errors'
import { putWithProgress } from '@/api/upload'
import type { DocumentDto } from '@/api/types'
import { useDocumentsStore } from './documents'
import { useQuotaStore } from './quota'

export type UploadStatus = 'queued' | 'preparing' | 'uploading' | 'confirming' | 'done' | 'error' | 'cancelled'

export interface UploadItem {
  id: number
  file: File
  name: string
  size: number
  folderId: string | null
  loaded: number
  status: UploadStatus
  error: string | null
  document: DocumentDto | null
}

/** Parallel transfers: enough to fill the pipe, few enough to keep each file's progress moving. */
export const CONCURRENCY = 3

const FINISHED: UploadStatus[] = ['done', 'error', 'cancelled']

export const useUploadsStore = defineStore('uploads', () => {
  const items = ref<UploadItem[]>([])
  const aborters = new Map<number, () => void>()
  let nextId = 1

  const active = computed(() => items.value.filter((i) => !FINISHED.includes(i.status)))
  const busy = computed(() => active.value.length > 0)
  /** Progress over the files still in play plus those that finished well. */
  const overall = computed(() => {
    const counted = items.value.filter((i) => i.status !== 'cancelled' && i.status !== 'error')
    const total = counted.reduce((s, i) => s + i.size, 0)
    const loaded = counted.reduce((s, i) => s + Math.min(i.loaded, i.size), 0)
    return { loaded, total, percent: total > 0 ? Math.round((loaded / total) * 100) : 0 }
  })
  const failed = computed(() => items.value.filter((i) => i.status === 'error'))

  function add(files: Iterable<File>, folderId: string | null): void {
    for (const file of files) {
      items.value.push({
        id: nextId++,
        file,
        name: file.name,
        size: file.size,
        folderId,
        loaded: 0,
        status: 'queued',
        error: null,
        document: null,
      })
    }
    pump()
  }

  function update(id: number, change: Partial<UploadItem>): void {
    const index = items.value.findIndex((i) => i.id === id)
    if (index >= 0) items.value[index] = { ...items.value[index]!, ...change }
  }

  function get(id: number): UploadItem | undefined {
    return items.value.find((i) => i.id === id)
  }

  /** Starts queued files while fewer than CONCURRENCY are in flight. */
  function pump(): void {
    const running = items.value.filter((i) => ['preparing', 'uploading', 'confirming'].includes(i.status)).length
    const queued = items.value.filter((i) => i.status === 'queued').slice(0, Math.max(0, CONCURRENCY - running))
    for (const item of queued) void run(item.id)
  }

  async function run(id: number): Promise<void> {
    const item = get(id)
    if (!item) return
    update(id, { status: 'preparing', error: null, loaded: 0 })
    try {
      const ticket = await documentsApi.uploadUrl({
        filename: item.name,
        size: item.size,
        content_type: item.file.type || 'application/octet-stream',
        // Top level: the field is left out rather than sent as null.
        ...(item.folderId ? { folder_id: item.folderId } : {}),
      })
      if (get(id)?.status === 'cancelled') return
      update(id, { status: 'uploading' })
      const handle = putWithProgress(ticket.upload, item.file, (loaded) => update(id, { loaded }))
      aborters.set(id, handle.abort)
      await handle.done
      aborters.delete(id)
      if (get(id)?.status === 'cancelled') return
      update(id, { status: 'confirming', loaded: item.size })
      const doc = await documentsApi.confirm(ticket.document_id)
      update(id, { status: 'done', document: doc })
      useDocumentsStore().upsert(doc)
    } catch (e) {
      aborters.delete(id)
      if (get(id)?.status === 'cancelled' || (e instanceof Error && e.name === 'AbortError')) {
        update(id, { status: 'cancelled', error: null })
      } else {
        update(id, { status: 'error', error: uploadMessage(e, item) })
      }
    } finally {
      void useQuotaStore().refresh()
      pump()
    }
  }

  function cancel(id: number): void {
    const item = get(id)
    if (!item || FINISHED.includes(item.status)) return
    update(id, { status: 'cancelled', error: null })
    aborters.get(id)?.()
    aborters.delete(id)
    pump()
  }

  function cancelAll(): void {
    for (const item of active.value) cancel(item.id)
  }

  function retry(id: number): void {
    const item = get(id)
    if (!item || (item.status !== 'error' && item.status !== 'cancelled')) return
    update(id, { status: 'queued', error: null, loaded: 0 })
    pump()
  }

  function clearFinished(): void {
    items.value = items.value.filter((i) => !FINISHED.includes(i.status))
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((i) => i.id !== id || !FINISHED.includes(i.status))
  }

  return { items, active, busy, overall, failed, add, cancel, cancelAll, retry, clearFinished, dismiss }
})

/** Upload errors name the file's problem, not the HTTP step that found it. */
export function uploadMessage(e: unknown, item: Pick<UploadItem, 'name'>): string {
  if (e instanceof ApiError && e.code === 'quota_exceeded') {
    return `${messageOf(e)} “${item.name}” was not uploaded.`
  }
  if (e instanceof ApiError && (e.status === 413 || e.code === 'file_too_large')) {
    return `“${item.name}” is too large: ${e.detail ?? 'the server does not accept files this big.'}`
  }
  return messageOf(e)
}
