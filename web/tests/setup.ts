// Shared per-test setup for store tests: a fresh Pinia and a signed-out API client.
import { createPinia, setActivePinia } from 'pinia'
import { api } from '@/api/client'

export function freshStores(): void {
  setActivePinia(createPinia())
  api.clearSession()
}
