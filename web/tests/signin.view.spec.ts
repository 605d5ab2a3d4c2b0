// The sign-in screen: the second step appears on totp_required, and "use a recovery code"
// sends the recovery code in place of the TOTP code.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { api } from '@/api/client'
import SignInView from '@/views/SignInView.vue'
import { fakeServer, json, me, problem, tokens } from './fake-server'

function setup() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/signin', component: SignInView },
      { path: '/register', component: { template: '<p>register</p>' } },
      { path: '/documents', component: { template: '<p>documents</p>' } },
    ],
  })
  return { pinia, router }
}

beforeEach(() => api.clearSession())

describe('SignInView', () => {
  it('asks for the TOTP code, then accepts a recovery code instead', async () => {
    const server = fakeServer({
      'POST /api/auth/login': (req) => {
        const code = (req.body as { totp_code?: string }).totp_code
        if (!code) return problem(401, 'totp_required')
        return code === 'abcde-12345' ? json(tokens(1)) : problem(401, 'totp_invalid')
      },
      'GET /api/auth/me': () => json(me({ totp_enabled: true })),
    })
    const { pinia, router } = setup()
    await router.push('/signin')
    const wrapper = mount(SignInView, { global: { plugins: [pinia, router] }, attachTo: document.body })

    await wrapper.get('#email').setValue('ann@example.com')
    await wrapper.get('#password').setValue('correct horse battery')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('Two-step verification')
    expect(wrapper.get('label[for="code"]').text()).toBe('Authentication code')

    await wrapper.get('#code').setValue('000000')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="signin-error"]').text()).toContain('not valid')

    await wrapper.get('[data-testid="toggle-recovery"]').trigger('click')
    expect(wrapper.get('label[for="code"]').text()).toBe('Recovery code')
    await wrapper.get('#code').setValue('abcde-12345')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    const sent = server.callsTo('POST', '/api/auth/login').map((c) => (c.body as { totp_code?: string }).totp_code)
    expect(sent).toEqual([undefined, '000000', 'abcde-12345'])
    expect(router.currentRoute.value.path).toBe('/documents')
    wrapper.unmount()
  })

  it('shows the server message for wrong credentials', async () => {
    fakeServer({ 'POST /api/auth/login': () => problem(401, 'invalid_credentials', 'Invalid email or password.') })
    const { pinia, router } = setup()
    await router.push('/signin')
    const wrapper = mount(SignInView, { global: { plugins: [pinia, router] } })
    await wrapper.get('#email').setValue('ann@example.com')
    await wrapper.get('#password').setValue('nope nope nope')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe('That email and password do not match an account.')
  })
})
