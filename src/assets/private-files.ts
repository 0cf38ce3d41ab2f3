/**
 * Names that are never meant to be public: credentials, a repository, installed packages. A build
 * that leaves one of them in its assets directory (a copied `.env`, a `public/` symlinked to the
 * wrong place) would serve it to anyone, so the manifest refuses them unless the user says otherwise.
 */

/** Directories refused whole, without looking inside. */
const DIRECTORIES = new Set(['.git', '.ssh', '.aws', '.gnupg', '.wrangler', 'node_modules'])

/** File names: dotenv and wrangler's local secrets, registry and git credentials, a git link file. */
const FILES = new Set(['.npmrc', '.netrc', '.git-credentials', '.git', '.pypirc'])

/** `.env`, `.env.production`, `.envrc`, `.dev.vars`, `.dev.vars.staging`. */
const FILE_PREFIXES = ['.env', '.dev.vars']

/** OpenSSH's private key names (`id_rsa`, `id_ed25519_sk`); the `.pub` halves are public. */
const SSH_PRIVATE_KEY = /^id_(?:rsa|dsa|ecdsa|ed25519|xmss)(?:_sk)?$/

/** Whether a directory entry of this name looks private. Case-insensitive, as macOS and Windows file systems are. */
export function isPrivateName(name: string, kind: 'file' | 'directory'): boolean {
  const lower = name.toLowerCase()
  if (kind === 'directory') return DIRECTORIES.has(lower)
  return (
    FILES.has(lower) ||
    FILE_PREFIXES.some((prefix) => lower.startsWith(prefix)) ||
    lower.endsWith('.pem') ||
    SSH_PRIVATE_KEY.test(lower)
  )
}
