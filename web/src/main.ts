// Boots the SPA: Pinia, the router, and the hand-off from an expired session to the sign-in page.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { api } from './api/client'
import { createAppRouter } from './router'
import { useAuthStore } from './stores/auth'
import { useToastsStore } from './stores/toasts'
import './styles/base.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
const router = createAppRouter()
app.use(router)

api.onSessionExpired(() => {
  const auth = useAuthStore()
  if (auth.state !== 'signed-in') return
  auth.endSession()
  useToastsStore().info('Your session has ended. Please sign in again.')
  void router.push({ name: 'signin', query: { next: router.currentRoute.value.fullPath } })
})

app.mount('#app')
