// The document list of the current folder (with search, status and topic filters, sort and cursor
// paging), search snippets, the selection, and the document actions: rename, move, trash,
// restore, purge, download.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { documentsApi } from '@/api/documents'
import { topicsApi } from '@/api/topics'
import type { DocumentDto, DocumentQuery, DocumentSort } from '@/api/types'
import { saveBlob } from '@/utils/download'
import { useQuotaStore } from './quota'

export const PAGE_SIZE = 50
/** Statuses that change on their own (upload finishing, text extraction, classification). */
export const TRANSIENT_STATUSES = ['pending', 'uploaded', 'processing']

export const useDocumentsStore = defineStore('documents', () => {
  /** `null` is the top level. */
  const folderId = ref<string | null>(null)
  const search = ref('')
  const status = ref('')
  const sort = ref<DocumentSort>('-created_at')
  /** A topic id: only documents in that topic are shown (of the pages loaded). */
  const topic = ref('')
  /** Highlighted text around the matches of the current search, by document id. */
  const snippets = ref<Map<string, string>>(new Map())
  /** Where the search's snippets go on (`GET /api/search`'s `next_cursor`); `null` while a page
   * of them is loading, so that it is asked once. */
  let snippetCursor: string | null = null

  const items = ref<DocumentDto[]>([])
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const loadingMore = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const selected = ref<Set<string>>(new Set())
  /** The document whose details panel is open. */
  const activeId = ref<string | null>(null)

  const trash = ref<DocumentDto[]>([])
  const trashCursor = ref<string | null>(null)
  const trashLoading = ref(false)
  const trashLoaded = ref(false)

  let generation = 0
  let controller: AbortController | null = null

  const active = computed(() => items.value.find((d) => d.id === activeId.value) ?? null)
  const selectedItems = computed(() => items.value.filter((d) => selected.value.has(d.id)))
  const hasMore = computed(() => nextCursor.value !== null)
  const searching = computed(() => search.value.trim() !== '')
  /** The loaded documents the topic filter lets through. */
  const shown = computed(() => (topic.value ? items.value.filter((d) => d.topic_ids?.includes(topic.value)) : items.value))

  function query(cursor: string | null): DocumentQuery {
    return {
      // A search looks through every folder; browsing shows one folder.
      folder_id: searching.value ? undefined : (folderId.value ?? 'root'),
      q: search.value.trim() || undefined,
      status: status.value || undefined,
      sort: sort.value,
      limit: PAGE_SIZE,
      cursor,
    }
  }

  /** Reloads the first page; an older request still in flight is abandoned. */
  async function load(): Promise<void> {
    const mine = ++generation
    controller?.abort()
    controller = new AbortController()
    loading.value = true
    error.value = null
    if (!searching.value) snippets.value = new Map()
    else void loadSnippets(mine, controller.signal)
    try {
      const page = await documentsApi.list(query(null), controller.signal)
      if (mine !== generation) return
      items.value = page.items
      nextCursor.value = page.next_cursor
      loaded.value = true
      const present = new Set(page.items.map((d) => d.id))
      selected.value = new Set([...selected.value].filter((id) => present.has(id)))
    } catch (e) {
      if (mine !== generation || (e instanceof Error && e.name === 'AbortError')) return
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /**
   * The same words through `GET /api/search`, for its highlighted snippets (the list itself comes
   * from `GET /api/documents?q=`, which ranks alike and gives rows that can be moved and shared).
   */
  async function loadSnippets(mine: number, signal: AbortSignal, cursor: string | null = null): Promise<void> {
    snippetCursor = null
    try {
      const page = await topicsApi.search(
        { q: search.value.trim(), topic: topic.value || undefined, limit: 100, cursor: cursor ?? undefined },
        signal,
      )
      if (mine !== generation) return
      const found = page.items.filter((h) => h.snippet).map((h): [string, string] => [h.id, h.snippet])
      snippets.value = new Map(cursor ? [...snippets.value, ...found] : found)
      snippetCursor = page.next_cursor
    } catch {
      // Snippets are a garnish: the results still show without them.
      if (mine === generation && !cursor) snippets.value = new Map()
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value || loading.value) return
    const mine = generation
    loadingMore.value = true
    try {
      const page = await documentsApi.list(query(nextCursor.value))
      if (mine !== generation) return
      const known = new Set(items.value.map((d) => d.id))
      items.value = [...items.value, ...page.items.filter((d) => !known.has(d.id))]
      nextCursor.value = page.next_cursor
      // The next page of snippets once the list has gone past those loaded.
      if (searching.value && snippetCursor && controller && page.items.some((d) => !snippets.value.has(d.id))) {
        void loadSnippets(mine, controller.signal, snippetCursor)
      }
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loadingMore.value = false
    }
  }

  function openFolder(id: string | null): Promise<void> {
    folderId.value = id
    search.value = ''
    selected.value = new Set()
    activeId.value = null
    return load()
  }

  function setQuery(change: { search?: string; status?: string; sort?: DocumentSort; topic?: string }): Promise<void> {
    if (change.topic !== undefined) {
      topic.value = change.topic
      selected.value = new Set()
      // The topic narrows the loaded pages; only a search asks the server again (for snippets).
      if (change.search === undefined && change.status === undefined && change.sort === undefined && !searching.value) {
        return Promise.resolve()
      }
    }
    if (change.search !== undefined) search.value = change.search
    if (change.status !== undefined) status.value = change.status
    if (change.sort !== undefined) sort.value = change.sort
    return load()
  }

  function toggle(id: string, on?: boolean): void {
    const next = new Set(selected.value)
    if (on ?? !next.has(id)) next.add(id)
    else next.delete(id)
    selected.value = next
  }

  function selectAll(on: boolean): void {
    selected.value = on ? new Set(shown.value.map((d) => d.id)) : new Set()
  }

  /** Adds a freshly uploaded document when it belongs in the current view. */
  function upsert(doc: DocumentDto): void {
    const inView = !searching.value && (doc.folder_id ?? null) === folderId.value
    const index = items.value.findIndex((d) => d.id === doc.id)
    if (index >= 0) items.value.splice(index, 1, doc)
    else if (inView) items.value = [doc, ...items.value]
  }

  /** Re-reads documents whose status is still moving, so their badges update. */
  async function refreshTransient(): Promise<void> {
    const moving = items.value.filter((d) => TRANSIENT_STATUSES.includes(d.status))
    for (const d of moving) {
      try {
        const fresh = await documentsApi.get(d.id)
        patchLocal(d.id, fresh, {})
      } catch {
        // It may have been trashed elsewhere; the next full load settles it.
      }
    }
  }

  async function rename(id: string, filename: string): Promise<void> {
    const updated = await documentsApi.update(id, { filename: filename.trim() })
    patchLocal(id, updated, { filename: filename.trim() })
  }

  /** Moves documents; those that leave the folder on screen leave the list. */
  async function move(ids: string[], target: string | null): Promise<number> {
    let moved = 0
    for (const id of ids) {
      await documentsApi.update(id, { folder_id: target })
      moved += 1
      if (!searching.value && target !== folderId.value) removeLocal(id)
      else patchLocal(id, undefined, { folder_id: target })
    }
    return moved
  }

  async function moveToTrash(ids: string[]): Promise<number> {
    let done = 0
    for (const id of ids) {
      await documentsApi.trash(id)
      removeLocal(id)
      done += 1
    }
    trashLoaded.value = false
    return done
  }

  async function loadTrash(more = false): Promise<void> {
    trashLoading.value = true
    try {
      const page = await documentsApi.listTrash(more ? trashCursor.value : null)
      trash.value = more ? [...trash.value, ...page.items] : page.items
      trashCursor.value = page.next_cursor
      trashLoaded.value = true
    } finally {
      trashLoading.value = false
    }
  }

  async function restore(id: string): Promise<void> {
    await documentsApi.restore(id)
    trash.value = trash.value.filter((d) => d.id !== id)
    loaded.value = false
  }

  /** Deletes the bytes for good and frees their quota. */
  async function purge(id: string): Promise<void> {
    await documentsApi.purge(id)
    trash.value = trash.value.filter((d) => d.id !== id)
    await useQuotaStore().refresh()
  }

  async function download(doc: Pick<DocumentDto, 'id' | 'filename'>): Promise<void> {
    const file = await documentsApi.download(doc.id)
    saveBlob(file.blob, file.filename ?? doc.filename)
  }

  function patchLocal(id: string, updated: DocumentDto | undefined, change: Partial<DocumentDto>): void {
    const useServer = updated && typeof updated === 'object' && 'id' in updated
    items.value = items.value.map((d) => (d.id === id ? (useServer ? updated : { ...d, ...change }) : d))
  }

  function removeLocal(id: string): void {
    items.value = items.value.filter((d) => d.id !== id)
    if (selected.value.has(id)) toggle(id, false)
    if (activeId.value === id) activeId.value = null
  }

  function reset(): void {
    generation++
    controller?.abort()
    folderId.value = null
    search.value = ''
    status.value = ''
    topic.value = ''
    snippets.value = new Map()
    snippetCursor = null
    items.value = []
    nextCursor.value = null
    loaded.value = false
    error.value = null
    selected.value = new Set()
    activeId.value = null
    trash.value = []
    trashCursor.value = null
    trashLoaded.value = false
  }

  return {
    folderId,
    search,
    status,
    sort,
    topic,
    snippets,
    shown,
    items,
    nextCursor,
    loading,
    loadingMore,
    loaded,
    error,
    selected,
    activeId,
    active,
    selectedItems,
    hasMore,
    searching,
    trash,
    trashCursor,
    trashLoading,
    trashLoaded,
    load,
    loadMore,
    openFolder,
    setQuery,
    toggle,
    selectAll,
    upsert,
    refreshTransient,
    rename,
    move,
    moveToTrash,
    loadTrash,
    restore,
    purge,
    download,
    reset,
  }
})
