// Admin screens' state: the user directory (search, role, activation, quota) and the projections
// (status, lag, rebuild with progress polled while anything is rebuilding).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { adminApi } from '@/api/admin'
import { ApiError } from '@/api/errors'
import type { AdminUser, ProjectionStatus, Role } from '@/api/types'

/** A rebuild still under way (`rebuild` also reports the last finished or failed one). */
export function rebuildActive(p: ProjectionStatus): boolean {
  const state = p.rebuild?.state
  return p.state === 'rebuilding' || state === 'requested' || state === 'running' || state === 'swapping'
}

/** How often the projections screen refreshes: faster while a rebuild runs. */
export const POLL_MS = { idle: 5000, rebuilding: 1000 }

export const useAdminStore = defineStore('admin', () => {
  const users = ref<AdminUser[]>([])
  const usersCursor = ref<string | null>(null)
  const usersQuery = ref('')
  const usersLoading = ref(false)
  const usersLoaded = ref(false)
  const usersError = ref<string | null>(null)

  const projections = ref<ProjectionStatus[]>([])
  const projectionsLoading = ref(false)
  const projectionsLoaded = ref(false)
  const projectionsError = ref<string | null>(null)
  /** The server has no projections API (404): an older server, not a failure. */
  const projectionsUnavailable = ref(false)
  /** Rebuilds asked for but not yet reported by the server. */
  const requested = ref<Set<string>>(new Set())
  let timer: ReturnType<typeof setTimeout> | null = null
  let generation = 0
  let controller: AbortController | null = null

  const rebuilding = computed(
    () => requested.value.size > 0 || projections.value.some(rebuildActive),
  )

  async function searchUsers(q = usersQuery.value, more = false): Promise<void> {
    const mine = ++generation
    controller?.abort()
    controller = new AbortController()
    usersQuery.value = q
    usersLoading.value = true
    usersError.value = null
    try {
      const page = await adminApi.users(
        { q: q.trim() || undefined, limit: 50, cursor: more ? usersCursor.value : null },
        controller.signal,
      )
      if (mine !== generation) return
      users.value = more ? [...users.value, ...page.items] : page.items
      usersCursor.value = page.next_cursor
      usersLoaded.value = true
    } catch (e) {
      if (mine !== generation || (e instanceof Error && e.name === 'AbortError')) return
      usersError.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) usersLoading.value = false
    }
  }

  async function setRole(id: string, role: Role): Promise<void> {
    const updated = await adminApi.updateUser(id, { role })
    patchUser(id, updated, { role })
  }

  async function setActive(id: string, isActive: boolean): Promise<void> {
    const updated = await adminApi.updateUser(id, { is_active: isActive })
    patchUser(id, updated, { is_active: isActive })
  }

  async function setQuota(id: string, limitBytes: number): Promise<void> {
    const answered = await adminApi.setQuota(id, { limit_bytes: limitBytes })
    users.value = users.value.map((u) =>
      u.id === id
        ? { ...u, quota: { used_bytes: 0, reserved_bytes: 0, ...u.quota, ...answered, limit_bytes: limitBytes } }
        : u,
    )
    searchAgainIfStale()
  }

  /** A search still in flight was sent before the change just made and would answer with the old
   * figures, overwriting it: ask again (the new request waits for the change to be projected). */
  function searchAgainIfStale(): void {
    if (usersLoading.value) void searchUsers()
  }

  function patchUser(id: string, updated: AdminUser | undefined, change: Partial<AdminUser>): void {
    const useServer = updated && typeof updated === 'object' && 'id' in updated
    users.value = users.value.map((u) => (u.id === id ? { ...u, ...(useServer ? updated : change) } : u))
    searchAgainIfStale()
  }

  async function loadProjections(): Promise<void> {
    projectionsLoading.value = true
    try {
      projections.value = await adminApi.projections()
      projectionsLoaded.value = true
      projectionsError.value = null
      projectionsUnavailable.value = false
      // The server's answer now tells whether a rebuild runs; our own marker has done its job.
      requested.value = new Set()
    } catch (e) {
      projectionsUnavailable.value = e instanceof ApiError && e.status === 404
      projectionsError.value = e instanceof Error ? e.message : String(e)
    } finally {
      projectionsLoading.value = false
    }
  }

  async function rebuild(name: string): Promise<void> {
    requested.value = new Set(requested.value).add(name)
    try {
      const answered = await adminApi.rebuild(name)
      if (answered && typeof answered === 'object' && 'name' in answered) {
        projections.value = projections.value.map((p) => (p.name === name ? answered : p))
      }
    } catch (e) {
      const next = new Set(requested.value)
      next.delete(name)
      requested.value = next
      throw e
    }
    await loadProjections()
    schedule()
  }

  async function resume(name: string): Promise<void> {
    const answered = await adminApi.resume(name)
    projections.value = projections.value.map((p) => (p.name === name ? answered : p))
    await loadProjections()
  }

  /** Erases an account (its personal data and documents); the row then shows what the server says. */
  async function erase(id: string, reason: string): Promise<void> {
    await adminApi.erase(id, { reason })
    await searchUsers()
  }

  /** Polls while the projections screen is open; stop with `stopPolling`. */
  function startPolling(): void {
    stopPolling()
    void loadProjections().finally(schedule)
  }

  function schedule(): void {
    if (timer) clearTimeout(timer)
    // Nothing will appear by asking again; the Refresh button still can.
    if (projectionsUnavailable.value) return
    timer = setTimeout(
      () => {
        timer = null
        void loadProjections().finally(schedule)
      },
      rebuilding.value ? POLL_MS.rebuilding : POLL_MS.idle,
    )
  }

  function stopPolling(): void {
    if (timer) clearTimeout(timer)
    timer = null
  }

  function reset(): void {
    stopPolling()
    users.value = []
    usersCursor.value = null
    usersQuery.value = ''
    usersLoaded.value = false
    projections.value = []
    projectionsLoaded.value = false
    projectionsError.value = null
    projectionsUnavailable.value = false
    requested.value = new Set()
  }

  return {
    users,
    usersCursor,
    usersQuery,
    usersLoading,
    usersLoaded,
    usersError,
    projections,
    projectionsLoading,
    projectionsLoaded,
    projectionsError,
    projectionsUnavailable,
    requested,
    rebuilding,
    searchUsers,
    setRole,
    setActive,
    setQuota,
    loadProjections,
    rebuild,
    resume,
    erase,
    startPolling,
    stopPolling,
    reset,
  }
})
