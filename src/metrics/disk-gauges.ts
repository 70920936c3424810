import { Gauge, type Registry } from 'prom-client';
import type { FilesystemReport } from '../manager/types.js';

/** The per-filesystem gauges of the disk check. */
export interface DiskGauges {
  freeBytes: Gauge<'root'>;
  freeInodes: Gauge<'root'>;
  pressure: Gauge<'root'>;
}

/**
 * The per-filesystem gauges, filled at scrape time from `filesystems()` (the last disk check): reset
 * first, so that a filesystem no longer checked (a reload turned checks off) leaves no series behind.
 */
export function diskGauges(
  registers: Registry[],
  filesystems: () => readonly FilesystemReport[],
): DiskGauges {
  const perRoot = (pick: (f: FilesystemReport) => number) => (gauge: Gauge<'root'>) => {
    gauge.reset();
    for (const f of filesystems()) gauge.set({ root: f.path }, pick(f));
  };
  const freeBytes = perRoot((f) => f.bytesFree);
  const freeBytesGauge: Gauge<'root'> = new Gauge({
    name: 'crilog_disk_free_bytes',
    help: 'Bytes an unprivileged writer may still use (statfs f_bavail) on a filesystem holding logs, one series per filesystem, labelled with a log root on it; as the last disk check measured them (after it acted). Absent while minFree and minFreeInodes are both 0.',
    labelNames: ['root'],
    registers,
    collect: () => freeBytes(freeBytesGauge),
  });
  const freeInodes = perRoot((f) => f.inodesFree);
  const freeInodesGauge: Gauge<'root'> = new Gauge({
    name: 'crilog_disk_free_inodes',
    help: 'Free inodes (statfs f_ffree) of a filesystem holding logs, one series per filesystem, labelled with a log root on it; as the last disk check measured them (after it acted). Absent while minFree and minFreeInodes are both 0.',
    labelNames: ['root'],
    registers,
    collect: () => freeInodes(freeInodesGauge),
  });
  const pressure = perRoot((f) => (f.pressure ? 1 : 0));
  const pressureGauge: Gauge<'root'> = new Gauge({
    name: 'crilog_disk_pressure',
    help: '1 when the last disk check found a filesystem holding logs below minFree or minFreeInodes and, by compressing, deleting rotated files and rotating early, could not bring it back above them plus the hysteresis; else 0. One series per filesystem, labelled with a log root on it; absent while minFree and minFreeInodes are both 0.',
    labelNames: ['root'],
    registers,
    collect: () => pressure(pressureGauge),
  });
  return { freeBytes: freeBytesGauge, freeInodes: freeInodesGauge, pressure: pressureGauge };
}
