// The client half of the full-stack playground: a page served from static assets, with client-side
// routes (links change the URL without a page load; a deep link loaded directly gets index.html
// through the SPA fallback and shows the same view), that calls the Worker.
import './style.css'

const ROUTES = { '/': 'Home', '/settings/deep-link': 'Settings' }

function render() {
  document.querySelector('#route').textContent = ROUTES[location.pathname] ?? 'Not found'
}

document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-route]') : null
  if (!link) return
  event.preventDefault()
  history.pushState(null, '', link.getAttribute('href'))
  render()
})
addEventListener('popstate', render)
render()

const response = await fetch('/api/hello')
document.querySelector('#api').textContent = JSON.stringify(await response.json())
