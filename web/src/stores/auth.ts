// The session: who is signed in, and the sign-in, registration and account-security actions.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api/client'
import { authApi } from '@/api/auth'
import type { Me, RegisterRequest, TotpEnrollment } from '@/api/types'
import { useAdminStore } from './admin'
import { useAuditStore } from './audit'
import { useDocumentsStore } from './documents'
import { useFoldersStore } from './folders'
import { useQuotaStore } from './quota'
import { useSharesStore } from './shares'
import { useTopicsStore } from './topics'
import { useUploadsStore } from './uploads'

export type SessionState = 'unknown' | 'signed-in' | 'signed-out'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<Me | null>(null)
  const state = ref<SessionState>('unknown')
  let restoring: Promise<void> | null = null

  const isAdmin = computed(() => user.value?.role === 'admin')
  /** Auditors and admins read the audit log. */
  const canAudit = computed(() => user.value?.role === 'admin' || user.value?.role === 'auditor')
  const signedIn = computed(() => state.value === 'signed-in')

  /** On page load: the refresh cookie, if any, yields a new access token without a password. */
  function restore(): Promise<void> {
    if (!restoring) {
      restoring = (async () => {
        if (api.hasAccessToken || (await api.refresh())) {
          try {
            user.value = await authApi.me()
            state.value = 'signed-in'
            return
          } catch {
            api.clearSession()
          }
        }
        state.value = 'signed-out'
      })()
    }
    return restoring
  }

  /** Throws `ApiError` with code `totp_required`/`totp_invalid` when a second factor is needed. */
  async function login(email: string, password: string, totpCode?: string): Promise<void> {
    const tokens = await authApi.login({ email, password, ...(totpCode ? { totp_code: totpCode } : {}) })
    api.setSession(tokens)
    user.value = await authApi.me()
    state.value = 'signed-in'
    restoring = Promise.resolve()
  }

  async function register(body: RegisterRequest): Promise<void> {
    await authApi.register(body)
    await login(body.email, body.password)
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } catch {
      // Signing out locally must work even when the server cannot be reached.
    }
    endSession()
  }

  async function logoutEverywhere(): Promise<void> {
    await authApi.logoutEverywhere()
    endSession()
  }

  /** The server revokes every session on a password change, so this one ends too. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await authApi.changePassword({ current_password: currentPassword, new_password: newPassword })
    endSession()
  }

  function enrollTotp(): Promise<TotpEnrollment> {
    return authApi.enrollTotp()
  }

  /** Returns the ten recovery codes, which the server shows only this once. */
  async function confirmTotp(code: string): Promise<string[]> {
    const { recovery_codes } = await authApi.confirmTotp(code)
    if (user.value) user.value = { ...user.value, totp_enabled: true }
    return recovery_codes
  }

  async function disableTotp(password: string, code: string): Promise<void> {
    await authApi.disableTotp({ password, code })
    if (user.value) user.value = { ...user.value, totp_enabled: false }
  }

  /** Forgets the session and everything loaded for it (another user may sign in next). */
  function endSession(): void {
    api.clearSession()
    user.value = null
    state.value = 'signed-out'
    restoring = null
    useUploadsStore().cancelAll()
    useDocumentsStore().reset()
    useFoldersStore().reset()
    useQuotaStore().reset()
    useSharesStore().reset()
    useAdminStore().reset()
    useTopicsStore().reset()
    useAuditStore().reset()
  }

  return {
    user,
    state,
    isAdmin,
    canAudit,
    signedIn,
    restore,
    login,
    register,
    logout,
    logoutEverywhere,
    changePassword,
    enrollTotp,
    confirmTotp,
    disableTotp,
    endSession,
  }
})
