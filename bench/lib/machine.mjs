/** What the benchmarks ran on: numbers mean little without the machine next to them. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';

/**
 * @returns {{ cpuModel: string, cpus: number, availableParallelism: number, cpuMHz: number | null, memoryBytes: number, node: string, v8: string, zlib: string, uv: string, os: string, kernel: string, distro: string | null, arch: string, loadAverage: number[] }}
 */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuMHz: cpus[0]?.speed || null,
    memoryBytes: os.totalmem(),
    node: process.version,
    v8: process.versions.v8,
    zlib: process.versions.zlib,
    uv: process.versions.uv,
    os: `${os.type()} ${os.arch()}`,
    kernel: os.release(),
    distro: distro(),
    arch: os.arch(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function distro() {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}
