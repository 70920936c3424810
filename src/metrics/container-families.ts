import { CONTAINER_LABELS } from './container-series.js';
import { SeriesFamily } from './series-family.js';

/** The per-container families: one series per managed container, rendered by crilog (see SeriesFamily). */
export interface ContainerFamilies {
  liveRatio: SeriesFamily;
  rotatedBytes: SeriesFamily;
}

/** New, empty per-container families. */
export function containerFamilies(): ContainerFamilies {
  return {
    liveRatio: new SeriesFamily(
      'crilog_live_log_size_ratio',
      "Last observed live log size divided by the container's size limit, per running managed container (0 right after a rotation); removed when the container stops or is no longer managed.",
      'gauge',
      CONTAINER_LABELS,
    ),
    rotatedBytes: new SeriesFamily(
      'crilog_container_rotated_bytes_total',
      'Bytes of the live log moved aside by successful rotations, per managed container; removed when the container is no longer managed.',
      'counter',
      CONTAINER_LABELS,
    ),
  };
}
