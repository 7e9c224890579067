// Whether a lock holder recorded on this host still runs. A pid alone is not enough: pids are reused, and a
// container with the same host name has its own pid space. So a lock also records (Linux) the pid namespace with the
// kernel's boot id, and the holder's start time (/proc/PID/stat field 22, clock ticks since boot). Only a run in the
// same namespace judges a holder; it is gone when its pid does not exist (ESRCH) or now names a process that started
// at another time. Elsewhere (no /proc) the identity is empty and only the pid is checked.

import { readFileSync, readlinkSync } from 'node:fs';

export interface ProcessIdentity {
  pidNamespace?: string;
  startTime?: string;
}

function read(fn: () => string): string | undefined {
  try {
    return fn().trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat. Field 2 (the command name) is in parentheses and may itself contain spaces or ")". */
export function processStartTime(pid: number): string | undefined {
  const stat = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!stat) return undefined;
  // After the last ")" come fields 3, 4, …; field 22 is the 20th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  return fields[19];
}

/** This process, as its lock records it. */
export function ownIdentity(pid: number): ProcessIdentity {
  const bootId = read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  const namespace = read(() => readlinkSync('/proc/self/ns/pid'));
  const startTime = processStartTime(pid);
  return {
    ...(bootId && namespace ? { pidNamespace: `${bootId}/${namespace}` } : {}),
    ...(startTime ? { startTime } : {}),
  };
}

/** True only when it is certain that the process which took the lock no longer exists. */
export function lockHolderIsGone(holder: { pid: number; startTime?: string }): boolean {
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    // EPERM: it exists, it belongs to another user.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  if (!holder.startTime) return false;
  const now = processStartTime(holder.pid);
  return now !== undefined && now !== holder.startTime;
}
