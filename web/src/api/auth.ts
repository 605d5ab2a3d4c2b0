// The identity endpoints (issue 3). Login, refresh and logout ask for the refresh cookie.
import { api, REFRESH_MODE_COOKIE, REFRESH_MODE_HEADER } from './client'
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

const cookieMode = { [REFRESH_MODE_HEADER]: REFRESH_MODE_COOKIE }

export const authApi = {
  register: (body: RegisterRequest) =>
    api.post<UserSummary>('/api/auth/register', body, { anonymous: true }),
  login: (body: LoginRequest) =>
    api.post<TokenResponse>('/api/auth/login', body, { anonymous: true, headers: cookieMode }),
  logout: () =>
    api.post<void>('/api/auth/logout', api.refreshBody(), { anonymous: true, headers: cookieMode }),
  /**
   * Revokes every refresh-token family of the account. The contract has no dedicated route yet;
   * this asks `logout` for all families (`all: true`).
   */
  logoutEverywhere: () =>
    api.post<void>('/api/auth/logout', { ...api.refreshBody(), all: true }, { headers: cookieMode }),
  me: () => api.get<Me>('/api/auth/me'),
  changePassword: (body: ChangePasswordRequest) => api.post<void>('/api/auth/password', body),
  enrollTotp: () => api.post<TotpEnrollment>('/api/auth/totp/enroll', {}),
  confirmTotp: (code: string) => api.post<TotpConfirmResponse>('/api/auth/totp/confirm', { code }),
  disableTotp: (body: TotpDisableRequest) => api.post<void>('/api/auth/totp/disable', body),
}
