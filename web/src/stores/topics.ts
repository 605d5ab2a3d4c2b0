// The topics the signed-in user sees (their own and the system ones), by id for the chips.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { topicsApi } from '@/api/topics'
import type { Topic } from '@/api/types'

export const useTopicsStore = defineStore('topics', () => {
  const topics = ref<Topic[]>([])
  const loaded = ref(false)
  const byId = computed(() => new Map(topics.value.map((t) => [t.id, t])))

  /** Loads every page; a server without topics leaves the list empty (chips and filter hide). */
  async function load(): Promise<void> {
    try {
      const page = await topicsApi.list()
      topics.value = [...page.items].sort((a, b) => a.name.localeCompare(b.name))
    } catch {
      topics.value = []
    } finally {
      loaded.value = true
    }
  }

  function nameOf(id: string): string | null {
    return byId.value.get(id)?.name ?? null
  }

  function reset(): void {
    topics.value = []
    loaded.value = false
  }

  return { topics, loaded, byId, load, nameOf, reset }
})
