// Short-lived notifications ("Moved 3 documents", errors) announced to screen readers.
import { defineStore } from 'pinia'
import { ref } from 'vue'

/** How many toasts are on screen at once; older ones make way. */
const MAX_VISIBLE = 3

export type ToastKind = 'info' | 'success' | 'error'

export interface Toast {
  id: number
  kind: ToastKind
  message: string
}

export const useToastsStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])
  let next = 1

  function push(kind: ToastKind, message: string, timeoutMs = kind === 'error' ? 8000 : 4000): number {
    const id = next++
    // A burst of actions shows the latest few, not a column over the page.
    toasts.value = [...toasts.value.slice(-(MAX_VISIBLE - 1)), { id, kind, message }]
    if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs)
    return id
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }

  return {
    toasts,
    push,
    dismiss,
    info: (m: string) => push('info', m),
    success: (m: string) => push('success', m),
    error: (m: string) => push('error', m),
  }
})
