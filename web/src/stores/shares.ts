// Shares of the document whose sharing dialog is open, and the "Shared with me" list.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { sharesApi } from '@/api/shares'
import type { Share, SharedDocument, SharePermission } from '@/api/types'

/** `@ann` and `ann` name the same person; handles are case-insensitive. */
export function normalizeHandle(input: string): string {
  return input.trim().replace(/^@+/, '').toLowerCase()
}

export const HANDLE_PATTERN = /^[a-z0-9_]{3,32}$/

export const useSharesStore = defineStore('shares', () => {
  const documentId = ref<string | null>(null)
  const shares = ref<Share[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)

  const incoming = ref<SharedDocument[]>([])
  const incomingCursor = ref<string | null>(null)
  const incomingLoading = ref(false)
  const incomingLoaded = ref(false)
  const incomingError = ref<string | null>(null)

  async function open(id: string): Promise<void> {
    documentId.value = id
    shares.value = []
    loading.value = true
    error.value = null
    try {
      const list = await sharesApi.list(id)
      if (documentId.value === id) shares.value = list
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loading.value = false
    }
  }

  async function add(handle: string, permission: SharePermission): Promise<Share> {
    if (!documentId.value) throw new Error('No document is being shared.')
    const normalized = normalizeHandle(handle)
    if (!HANDLE_PATTERN.test(normalized)) {
      throw new Error('A handle has 3 to 32 letters, digits or underscores, like @ann_lee.')
    }
    const share = await sharesApi.create(documentId.value, { handle: normalized, permission })
    shares.value = [...shares.value.filter((s) => s.id !== share.id), share]
    return share
  }

  async function revoke(shareId: string): Promise<void> {
    if (!documentId.value) return
    await sharesApi.revoke(documentId.value, shareId)
    shares.value = shares.value.filter((s) => s.id !== shareId)
  }

  function close(): void {
    documentId.value = null
    shares.value = []
    error.value = null
  }

  async function loadIncoming(more = false): Promise<void> {
    incomingLoading.value = true
    incomingError.value = null
    try {
      const page = await sharesApi.sharedWithMe(more ? incomingCursor.value : null)
      incoming.value = more ? [...incoming.value, ...page.items] : page.items
      incomingCursor.value = page.next_cursor
      incomingLoaded.value = true
    } catch (e) {
      incomingError.value = e instanceof Error ? e.message : String(e)
    } finally {
      incomingLoading.value = false
    }
  }

  function reset(): void {
    close()
    incoming.value = []
    incomingCursor.value = null
    incomingLoaded.value = false
  }

  return {
    documentId,
    shares,
    loading,
    error,
    incoming,
    incomingCursor,
    incomingLoading,
    incomingLoaded,
    incomingError,
    open,
    add,
    revoke,
    close,
    loadIncoming,
    reset,
  }
})
