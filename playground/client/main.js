// The client half of the full-stack playground: a page served from static assets that calls the Worker.
import './style.css'

const response = await fetch('/api/hello')
document.querySelector('#api').textContent = JSON.stringify(await response.json())
