/**
 * What /proc tells about a process: CPU time (its whole tree, for servers that fork workers) and
 * peak resident memory (VmHWM). Linux only, like the bench machine.
 */
import { readFileSync, readdirSync } from 'node:fs';

const TICKS = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

/** Fields of `/proc/<path>/stat` after the command name; `path` a pid, `self` or `self/task/<tid>`. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) children.push(...text.split(' ').map(Number));
    }
  } catch {
    // gone
  }
  return children;
}

/** CPU seconds (user + system) used so far by a process and its live descendants. */
export function treeCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // After the name: state=0, ..., utime=11, stime=12 (fields 14 and 15 of stat(5)).
  const own = fields ? (Number(fields[11]) + Number(fields[12])) / TICKS : 0;
  return own + childrenOf(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
}

/** CPU seconds of this process's waited-for children (cutime + cstime): the CLI baselines. */
export function childrenCpuSeconds(): number {
  const fields = statFields('self')!;
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

/** Peak resident set (VmHWM) of a process and its live descendants, in MB. */
export function treePeakRssMb(pid: number): number {
  let kb = 0;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    kb = Number(match?.[1] ?? 0);
  } catch {
    // gone
  }
  return kb / 1024 + childrenOf(pid).reduce((sum, child) => sum + treePeakRssMb(child), 0);
}

/** Current resident set (VmRSS) in MB. */
export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * CPU time (ms) this process's main thread has had so far, from the kernel's schedstat: the event
 * loop's own work, apart from libvips' and libuv's threads.
 */
export function mainThreadCpuMs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** CPU seconds so far of each live thread of this process, by thread id, with its name (`comm`). */
export function threadCpuSeconds(): Map<number, { name: string; seconds: number }> {
  const threads = new Map<number, { name: string; seconds: number }>();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      const fields = statFields(`self/task/${task}`)!;
      const name = readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim();
      threads.set(Number(task), { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS });
    } catch {
      // ended meanwhile
    }
  }
  return threads;
}
