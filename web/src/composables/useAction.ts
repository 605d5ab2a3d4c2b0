// A form's or dialog's async action with its `busy` flag and a readable `error`, so every screen
// reports failures the same way.
import { ref } from 'vue'
import { messageOf } from '@/api/errors'

export function useAction() {
  const busy = ref(false)
  const error = ref<string | null>(null)

  /** Runs `fn`; returns true when it succeeded, else leaves the message in `error`. */
  async function run(fn: () => Promise<unknown>): Promise<boolean> {
    busy.value = true
    error.value = null
    try {
      await fn()
      return true
    } catch (e) {
      error.value = messageOf(e)
      return false
    } finally {
      busy.value = false
    }
  }

  function reset(): void {
    busy.value = false
    error.value = null
  }

  return { busy, error, run, reset }
}
