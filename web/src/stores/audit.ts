// The audit screen's state: the filtered, cursor-paginated event table, its export and the
// point-in-time ("as of") answer for one document or one user.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { auditApi } from '@/api/audit'
import type { AsOfAnswer, AsOfQuery, AuditEntry, AuditExportFormat, AuditFilter, AuditOrder } from '@/api/types'
import { saveBlob } from '@/utils/download'

export const AUDIT_PAGE_SIZE = 50

/** Drops empty filter fields so they are not sent. */
function clean(filter: AuditFilter): AuditFilter {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => typeof v === 'string' && v.trim() !== '')) as AuditFilter
}

export const useAuditStore = defineStore('audit', () => {
  const entries = ref<AuditEntry[]>([])
  const cursor = ref<string | null>(null)
  const filter = ref<AuditFilter>({})
  const order = ref<AuditOrder>('newest')
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const asOf = ref<AsOfAnswer | null>(null)
  let generation = 0
  let controller: AbortController | null = null

  /** Loads the first page for `next` (or the current filter), or the next page with `more`. */
  async function load(next: AuditFilter = filter.value, more = false): Promise<void> {
    const mine = ++generation
    controller?.abort()
    controller = new AbortController()
    filter.value = clean(next)
    loading.value = true
    error.value = null
    try {
      const page = await auditApi.events(
        { ...filter.value, order: order.value, limit: AUDIT_PAGE_SIZE, cursor: more ? cursor.value : null },
        controller.signal,
      )
      if (mine !== generation) return
      entries.value = more ? [...entries.value, ...page.items] : page.items
      cursor.value = page.next_cursor
      loaded.value = true
    } catch (e) {
      if (mine !== generation || (e instanceof Error && e.name === 'AbortError')) return
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** Downloads every entry the current filter selects (not only the loaded pages). */
  async function exportAs(format: AuditExportFormat): Promise<void> {
    const file = await auditApi.export(filter.value, format)
    saveBlob(file.blob, file.filename ?? `audit.${format}`)
  }

  async function loadAsOf(query: AsOfQuery): Promise<void> {
    asOf.value = null
    asOf.value = await auditApi.asOf(query)
  }

  function reset(): void {
    generation++
    controller?.abort()
    entries.value = []
    cursor.value = null
    filter.value = {}
    order.value = 'newest'
    loaded.value = false
    error.value = null
    asOf.value = null
  }

  return { entries, cursor, filter, order, loading, loaded, error, asOf, load, exportAs, loadAsOf, reset }
})
