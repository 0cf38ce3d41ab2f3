/**
 * Lets the emulator's command line stop with the process that started it. `npx` runs a bin through
 * a shell (`npx` → `sh -c` → node), and a killed `npx` cannot pass SIGKILL on: the shell and the
 * emulator would live on, holding the port and their workerd processes. A process is not told
 * when its parent dies, so the chain above it is checked on a timer.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

/** Shells that stand between a launcher and the program it runs; the launcher above one is watched too. */
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'cmd.exe'])

/** Calls `onGone` (once) when the parent, or the launcher above a shell parent, is gone. */
export function watchParent(onGone: (pid: number) => void, everyMs: number): void {
  const parent = process.ppid
  const watched = [parent]
  const above = describe(parent)
  if (above && SHELLS.has(above.name) && above.ppid > 1) watched.push(above.ppid)
  const timer = setInterval(() => {
    // An orphan is adopted by another process, so its parent id changes; a launcher further up
    // is simply gone.
    const gone = process.ppid !== parent ? parent : watched.find((pid) => !alive(pid))
    if (gone === undefined) return
    clearInterval(timer)
    onGone(gone)
  }, everyMs)
  timer.unref()
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is only someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A process's parent and program name: from /proc on Linux, from `ps` elsewhere; undefined when neither can tell. */
function describe(pid: number): { ppid: number; name: string } | undefined {
  try {
    // `pid (name) state ppid …`; the name may itself hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = stat.lastIndexOf(')')
    return {
      name: stat.slice(stat.indexOf('(') + 1, close),
      ppid: Number(stat.slice(close + 2).split(' ')[1]),
    }
  } catch {
    try {
      const [ppid, ...command] = execFileSync('ps', ['-o', 'ppid=,comm=', '-p', String(pid)], {
        encoding: 'utf8',
      })
        .trim()
        .split(/\s+/)
      return { ppid: Number(ppid), name: basename(command.join(' ')) }
    } catch {
      return undefined
    }
  }
}
