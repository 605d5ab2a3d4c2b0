// The identity endpoints (issue 3). Login, refresh and logout ask for the refresh cookie.
import { api, COOKIE_MODE } from './client'
import type {
  ChangePasswordRequest,
  LoginRequest,
  Me,
  RegisterRequest,
  TokenResponse,
  TotpConfirmResponse,
  TotpDisableRequest,
  TotpEnrollment,
  UserSummary,
} from './types'

export const authApi = {
  register: (body: RegisterRequest) =>
    api.post<UserSummary>('/api/auth/register', body, { anonymous: true }),
  login: (body: LoginRequest) =>
    api.post<TokenResponse>('/api/auth/login', body, { anonymous: true, query: COOKIE_MODE }),
  logout: () =>
    api.post<void>('/api/auth/logout', api.refreshBody(), { anonymous: true }),
  /** Revokes every refresh-token family of the signed-in account (`all: true` needs the bearer token). */
  logoutEverywhere: () => api.post<void>('/api/auth/logout', { ...api.refreshBody(), all: true }),
  me: () => api.get<Me>('/api/auth/me'),
  changePassword: (body: ChangePasswordRequest) => api.post<void>('/api/auth/password', body),
  enrollTotp: () => api.post<TotpEnrollment>('/api/auth/totp/enroll', {}),
  confirmTotp: (code: string) => api.post<TotpConfirmResponse>('/api/auth/totp/confirm', { code }),
  disableTotp: (body: TotpDisableRequest) => api.post<void>('/api/auth/totp/disable', body),
}
