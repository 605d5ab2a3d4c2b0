// The signed-in user's storage quota, shown by the always-visible meter.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { quotaApi } from '@/api/quota'
import type { Quota } from '@/api/types'

/** From this share of the limit on, the meter warns. */
export const NEAR_LIMIT = 0.9

export const useQuotaStore = defineStore('quota', () => {
  const quota = ref<Quota | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)

  const used = computed(() => (quota.value ? quota.value.used_bytes + quota.value.reserved_bytes : 0))
  const limit = computed(() => quota.value?.limit_bytes ?? 0)
  const fraction = computed(() => (limit.value > 0 ? Math.min(1, used.value / limit.value) : 0))
  const free = computed(() => Math.max(0, limit.value - used.value))
  const nearLimit = computed(() => quota.value !== null && fraction.value >= NEAR_LIMIT)
  const full = computed(() => quota.value !== null && used.value >= limit.value)

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      quota.value = await quotaApi.get()
      error.value = null
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loading.value = false
    }
  }

  function reset(): void {
    quota.value = null
    error.value = null
  }

  return { quota, loading, error, used, limit, fraction, free, nearLimit, full, refresh, reset }
})
